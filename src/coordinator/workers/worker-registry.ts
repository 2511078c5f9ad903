import { routeKey, type Route } from '../../domain/parking.ts';
import type { HostedRelease, TransitionWorker } from '../../segment/transition-worker.ts';
import type { WorkerState } from './worker-lifecycle.ts';

/** Whether dispatch sends this worker its segments (every worker but a pull worker). */
const pushed = (worker: TransitionWorker): boolean => worker.protocol !== 'pull';

const key = (workerId: string, tenantId: string, pipelineId: string) =>
  `${workerId}\u0000${tenantId}\u0000${pipelineId}`;

/**
 * The routing table: the workers this coordinator can dispatch to (in-process ones, and
 * remote ones known from their registrations), what each hosts, and what its lifecycle state
 * lets it take. A HEALTHY worker takes any work of the releases it hosts; a DRAINING one takes
 * no new executions (submit admission counts HEALTHY workers only) but still runs the segments
 * of executions pinned to its release while no HEALTHY worker hosts that release, so a release
 * being retired finishes on the workers drained for it (docs/upgrade-and-drain.md). Any other
 * state takes nothing. Dispatch only ever chooses a worker that hosts the execution's pinned
 * release, and takes them in turn.
 */
export class WorkerRegistry {
  readonly #workers: TransitionWorker[] = [];
  /** Worker × pipeline pairs that take nothing: STALE, UNAVAILABLE, not registered. */
  readonly #unavailable = new Set<string>();
  /** Worker × pipeline pairs that are DRAINING: only pinned work no HEALTHY worker can take. */
  readonly #draining = new Set<string>();
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
   * What a lifecycle read found: the worker's state for the pipeline (undefined: not
   * registered). A read older than this node's own record of the worker being unreachable may
   * not make it available again: it did not see that record.
   */
  setAvailable(
    workerId: string,
    tenantId: string,
    pipelineId: string,
    state: WorkerState | undefined,
    read: number,
  ): void {
    const k = key(workerId, tenantId, pipelineId);
    if (state !== 'HEALTHY' && state !== 'DRAINING') {
      this.#unavailable.add(k);
      return;
    }
    if (read < (this.#heldDown.get(k) ?? 0)) return;
    this.#unavailable.delete(k);
    if (state === 'DRAINING') this.#draining.add(k);
    else this.#draining.delete(k);
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

  /** Whether some HEALTHY worker runs this route: submit admission (a drained one takes no new execution). */
  has(route: Route): boolean {
    return this.#candidates(route, 'healthy').length > 0;
  }

  /** Whether some worker may run this route's pinned executions: HEALTHY, or DRAINING for it. */
  canRun(route: Route): boolean {
    return this.#candidates(route, 'any').length > 0;
  }

  /**
   * The next worker for this route, round robin, so load spreads across them: a HEALTHY one,
   * else (no HEALTHY worker hosts the release) a DRAINING one. Pull workers are never picked:
   * they ask for their segments themselves.
   */
  pick(route: Route): TransitionWorker | undefined {
    const candidates = this.#takers(route).filter(pushed);
    if (candidates.length === 0) return undefined;
    this.#turn = (this.#turn + 1) % Number.MAX_SAFE_INTEGER;
    return candidates[this.#turn % candidates.length];
  }

  /**
   * Every (tenant, pipeline, release) some worker may take now: what the claim may take.
   * A release string alone is not enough: two tenants (or pipelines) may host the same one.
   * Pull workers' routes are left out: the dispatcher does not claim what they pull.
   */
  routes(): Route[] {
    const routes = new Map<string, Route>();
    for (const w of this.#workers.filter(pushed))
      for (const { tenantId, pipelineId, releaseVersion } of this.#hosted(w, 'any')) {
        const route = { tenantId, pipelineId, releaseVersion };
        if (this.#takers(route).some(pushed)) routes.set(routeKey(route), route);
      }
    return [...routes.values()];
  }

  /** Who takes the route's work: its HEALTHY workers, else those DRAINING for it. */
  #takers(route: Route): TransitionWorker[] {
    const healthy = this.#candidates(route, 'healthy');
    return healthy.length > 0 ? healthy : this.#candidates(route, 'any');
  }

  #candidates(route: Route, which: 'healthy' | 'any'): TransitionWorker[] {
    return this.#workers.filter((w) =>
      this.#hosted(w, which).some(
        (r) =>
          r.tenantId === route.tenantId &&
          r.pipelineId === route.pipelineId &&
          r.releaseVersion === route.releaseVersion,
      ),
    );
  }

  /** The releases the worker hosts that its state lets it take (`any`: HEALTHY or DRAINING). */
  #hosted(worker: TransitionWorker, which: 'healthy' | 'any'): HostedRelease[] {
    return worker.hostedReleases().filter((r) => {
      const k = key(worker.workerId, r.tenantId, r.pipelineId);
      return !this.#unavailable.has(k) && (which === 'any' || !this.#draining.has(k));
    });
  }
}
