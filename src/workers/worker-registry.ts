import type { TransitionWorker } from './transition-worker.ts';

/**
 * The workers this coordinator can dispatch to, and what each hosts. Dispatch only ever goes
 * to a worker hosting the execution's pinned release.
 */
export class WorkerRegistry {
  readonly #workers: TransitionWorker[] = [];

  add(worker: TransitionWorker): void {
    this.#workers.push(worker);
  }

  get workers(): readonly TransitionWorker[] {
    return this.#workers;
  }

  pick(tenantId: string, releaseVersion: string): TransitionWorker | undefined {
    return this.#workers.find((w) =>
      w.hostedReleases().some((r) => r.tenantId === tenantId && r.releaseVersion === releaseVersion),
    );
  }

  /** Every release version some worker hosts: what the claim query may take. */
  releaseVersions(): string[] {
    return [...new Set(this.#workers.flatMap((w) => w.hostedReleases().map((r) => r.releaseVersion)))];
  }
}
