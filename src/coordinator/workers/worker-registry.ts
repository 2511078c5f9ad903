import { routeKey, type Route } from '../../domain/parking.ts';
import type { HostedRelease, TransitionWorker } from '../../segment/transition-worker.ts';

/** Whether dispatch sends this worker its segments (every worker but a pull worker). */
const pushed = (worker: TransitionWorker): boolean => worker.protocol !== 'pull';

const key = (workerId: string, tenantId: string, pipelineId: string) =>
  `${workerId}\u0000${tenantId}\u0000${pipelineId}`;

/**
 * The routing table: the workers this coordinator can dispatch to (in-process ones, and
 * remote ones known from their registrations), what each hosts, and whether its lifecycle
 * state lets it take new work. Dispatch and admission only ever choose a worker that hosts
 * the execution's pinned release and is available (HEALTHY); dispatch takes them in turn.
 */
export class WorkerRegistry {
  readonly #workers: TransitionWorker[] = [];
  /** Worker × pipeline pairs whose lifecycle state is not HEALTHY (drained, stale…). */
  readonly #unavailable = new Set<string>();
  /**
   * Pairs taken out by this node (a dispatch found the worker unreachable): a sync whose read
   * began before the lifecycle recorded it would route to the worker again, so it may not.
   * The value is the first read number that sees the record (infinite until it has landed).
   */
  readonly #heldDown = new Map<string, number>();
  /** Numbers the lifecycle reads of syncs, in the order they begin. */
  #reads = 0;
  #turn = 0;

  add(worker: TransitionWorker): void {
    this.#workers.push(worker);
  }

  get workers(): readonly TransitionWorker[] {
    return this.#workers;
  }

  find(workerId: string): TransitionWorker | undefined {
    return this.#workers.find((w) => w.workerId === workerId);
  }

  /** Called before a lifecycle read: its number, which `setAvailable` is then given. */
  beginRead(): number {
    return this.#reads++;
  }

  /**
   * What a lifecycle read found. A read older than this node's own record of the worker being
   * unreachable may not make it available again: it did not see that record.
   */
  setAvailable(
    workerId: string,
    tenantId: string,
    pipelineId: string,
    available: boolean,
    read: number,
  ): void {
    const k = key(workerId, tenantId, pipelineId);
    if (!available) this.#unavailable.add(k);
    else if (read >= (this.#heldDown.get(k) ?? 0)) this.#unavailable.delete(k);
  }

  /**
   * Takes the worker out of routing at once, while `recording` writes its new state to the
   * lifecycle; from then on only reads that began after the write landed decide again.
   */
  async holdDown(
    workerId: string,
    tenantId: string,
    pipelineId: string,
    recording: Promise<void>,
  ): Promise<void> {
    const k = key(workerId, tenantId, pipelineId);
    this.#unavailable.add(k);
    this.#heldDown.set(k, Number.POSITIVE_INFINITY);
    try {
      await recording;
    } finally {
      this.#heldDown.set(k, this.#reads);
    }
  }

  /** Whether some available worker runs this route (submit admission). */
  has(route: Route): boolean {
    return this.#candidates(route).length > 0;
  }

  /**
   * The next available worker for this route, round robin, so load spreads across them. Pull
   * workers are never picked: they ask for their segments themselves.
   */
  pick(route: Route): TransitionWorker | undefined {
    const candidates = this.#candidates(route).filter(pushed);
    if (candidates.length === 0) return undefined;
    this.#turn = (this.#turn + 1) % Number.MAX_SAFE_INTEGER;
    return candidates[this.#turn % candidates.length];
  }

  /**
   * Every (tenant, pipeline, release) some available worker hosts: what the claim may take.
   * A release string alone is not enough: two tenants (or pipelines) may host the same one.
   * Pull workers' routes are left out: the dispatcher does not claim what they pull.
   */
  routes(): Route[] {
    const routes = new Map<string, Route>();
    for (const w of this.#workers.filter(pushed))
      for (const { tenantId, pipelineId, releaseVersion } of this.#available(w)) {
        const route = { tenantId, pipelineId, releaseVersion };
        routes.set(routeKey(route), route);
      }
    return [...routes.values()];
  }

  #candidates(route: Route): TransitionWorker[] {
    return this.#workers.filter((w) =>
      this.#available(w).some(
        (r) =>
          r.tenantId === route.tenantId &&
          r.pipelineId === route.pipelineId &&
          r.releaseVersion === route.releaseVersion,
      ),
    );
  }

  #available(worker: TransitionWorker): HostedRelease[] {
    return worker
      .hostedReleases()
      .filter((r) => !this.#unavailable.has(key(worker.workerId, r.tenantId, r.pipelineId)));
  }
}
