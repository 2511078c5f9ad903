import type { HostedRelease, TransitionWorker } from './transition-worker.ts';

const key = (workerId: string, tenantId: string, pipelineId: string) =>
  `${workerId}\u0000${tenantId}\u0000${pipelineId}`;

/**
 * The routing table: the workers this coordinator can dispatch to, what each hosts, and
 * whether its lifecycle state lets it take new work. Dispatch and admission only ever choose a
 * worker that hosts the execution's pinned release and is available (HEALTHY).
 */
export class WorkerRegistry {
  readonly #workers: TransitionWorker[] = [];
  /** Worker × pipeline pairs whose lifecycle state is not HEALTHY (drained, stale…). */
  readonly #unavailable = new Set<string>();

  add(worker: TransitionWorker): void {
    this.#workers.push(worker);
  }

  get workers(): readonly TransitionWorker[] {
    return this.#workers;
  }

  setAvailable(workerId: string, tenantId: string, pipelineId: string, available: boolean): void {
    if (available) this.#unavailable.delete(key(workerId, tenantId, pipelineId));
    else this.#unavailable.add(key(workerId, tenantId, pipelineId));
  }

  pick(tenantId: string, releaseVersion: string): TransitionWorker | undefined {
    return this.#workers.find((w) =>
      this.#available(w).some((r) => r.tenantId === tenantId && r.releaseVersion === releaseVersion),
    );
  }

  /** Every release version some available worker hosts: what the claim query may take. */
  releaseVersions(): string[] {
    return [...new Set(this.#workers.flatMap((w) => this.#available(w).map((r) => r.releaseVersion)))];
  }

  #available(worker: TransitionWorker): HostedRelease[] {
    return worker
      .hostedReleases()
      .filter((r) => !this.#unavailable.has(key(worker.workerId, r.tenantId, r.pipelineId)));
  }
}
