import { CapstanError } from '../../errors/catalog.ts';
import type { Clock } from '../../runtime/clock.ts';
import type { WorkerStateRecord } from '../../store/records.ts';
import type { Store } from '../../store/store-port.ts';

/**
 * Worker states, computed at read time from each worker's current-state row:
 * - HEALTHY: registered, heartbeating within `stale-after`, not draining.
 * - STALE: no heartbeat for longer than `stale-after`.
 * - DRAINING: drained by an operator: takes no new work until undrained (or re-registered).
 * - UNAVAILABLE: the coordinator could not reach it at dispatch (`UNAVAILABLE` event), until
 *   its next heartbeat.
 */
export const WorkerState = {
  HEALTHY: 'HEALTHY',
  STALE: 'STALE',
  DRAINING: 'DRAINING',
  UNAVAILABLE: 'UNAVAILABLE',
} as const;
export type WorkerState = (typeof WorkerState)[keyof typeof WorkerState];

export interface WorkerRegistration {
  readonly workerId: string;
  readonly contractVersion: string;
  readonly releaseVersion: string;
  readonly protocol: string;
  readonly endpoint: string;
  readonly artifactId?: string | undefined;
  readonly artifactDigest?: string | undefined;
}

export interface WorkerRecord extends WorkerRegistration {
  readonly tenantId: string;
  readonly pipelineId: string;
  readonly state: WorkerState;
  readonly registeredAtMs: number;
  readonly lastHeartbeatAtMs: number;
  readonly drainingSinceMs: number | null;
}

/**
 * The worker lifecycle registry: each worker is one current-state row in the store, which
 * register, heartbeat, drain and undrain update (a heartbeat in place; only transitions join
 * the worker history); the list computes states with the clock. A restarted worker registers
 * again and is HEALTHY, not draining.
 */
export class WorkerLifecycle {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #staleAfterMs: number;

  constructor(options: { store: Store; clock: Clock; staleAfterMs: number }) {
    this.#store = options.store;
    this.#clock = options.clock;
    this.#staleAfterMs = options.staleAfterMs;
  }

  /**
   * Registers a worker. Unless `mayChangeEndpoint`, an existing worker keeps its protocol and
   * endpoint: a registration naming others is refused (409), so whoever holds a worker token
   * cannot redirect another worker's dispatch (and its execution inputs) to itself.
   */
  async register(
    tenantId: string,
    pipelineId: string,
    r: WorkerRegistration,
    options: { mayChangeEndpoint: boolean },
  ): Promise<WorkerRecord> {
    const registered = await this.#store.registerWorker(
      {
        tenantId,
        pipelineId,
        workerId: r.workerId,
        contractVersion: r.contractVersion,
        releaseVersion: r.releaseVersion,
        protocol: r.protocol.toLowerCase(),
        endpoint: r.endpoint,
        artifactId: r.artifactId ?? null,
        artifactDigest: r.artifactDigest ?? null,
      },
      { atMs: this.#clock.now(), keepEndpoint: !options.mayChangeEndpoint },
    );
    if (!registered)
      throw new CapstanError(
        'worker_endpoint_conflict',
        `Worker '${r.workerId}' is registered at another endpoint; only an admin token or a registration signed with the worker protocol's shared secret may move it.`,
      );
    await this.#wakeParked(tenantId, pipelineId, r.releaseVersion);
    return this.#recordOf(registered, this.#clock.now());
  }

  /** HEARTBEAT, DRAIN or UNDRAIN of a registered worker; unknown workers are 404. */
  async signal(
    tenantId: string,
    pipelineId: string,
    workerId: string,
    type: 'HEARTBEAT' | 'DRAIN' | 'UNDRAIN',
  ): Promise<WorkerRecord> {
    const atMs = this.#clock.now();
    const signalled = await this.#store.signalWorker({
      tenantId,
      pipelineId,
      workerId,
      type,
      data: {},
      atMs,
    });
    if (!signalled) throw notFound(workerId, pipelineId);
    const worker = this.#recordOf(signalled, atMs);
    if (worker.state === 'HEALTHY') await this.#wakeParked(tenantId, pipelineId, worker.releaseVersion);
    return worker;
  }

  /** A worker for this route is (back) in service: executions parked after dispatch errors may try it. */
  async #wakeParked(tenantId: string, pipelineId: string, releaseVersion: string): Promise<void> {
    await this.#store.wakeParked({ tenantId, pipelineId, releaseVersion, nowMs: this.#clock.now() });
  }

  /** Records that dispatch could not reach the worker: UNAVAILABLE until it heartbeats again. */
  async markUnavailable(
    tenantId: string,
    pipelineId: string,
    workerId: string,
    reason: string,
  ): Promise<void> {
    await this.#store.signalWorker({
      tenantId,
      pipelineId,
      workerId,
      type: 'UNAVAILABLE',
      data: { reason: reason.slice(0, 500) },
      atMs: this.#clock.now(),
    });
  }

  async get(tenantId: string, pipelineId: string, workerId: string): Promise<WorkerRecord> {
    const worker = await this.#store.getWorker(tenantId, pipelineId, workerId);
    if (!worker) throw notFound(workerId, pipelineId);
    return this.#recordOf(worker, this.#clock.now());
  }

  async list(
    tenantId: string,
    pipelineId: string,
    filter: { contractVersion?: string | undefined; releaseVersion?: string | undefined } = {},
  ): Promise<WorkerRecord[]> {
    const nowMs = this.#clock.now();
    return (await this.#store.listWorkers(tenantId, pipelineId))
      .filter((w) => (filter.contractVersion ?? w.contractVersion) === w.contractVersion)
      .filter((w) => (filter.releaseVersion ?? w.releaseVersion) === w.releaseVersion)
      .map((w) => this.#recordOf(w, nowMs))
      .sort((a, b) => a.workerId.localeCompare(b.workerId));
  }

  #recordOf(w: WorkerStateRecord, nowMs: number): WorkerRecord {
    return {
      workerId: w.workerId,
      contractVersion: w.contractVersion,
      releaseVersion: w.releaseVersion,
      protocol: w.protocol,
      endpoint: w.endpoint,
      artifactId: w.artifactId ?? undefined,
      artifactDigest: w.artifactDigest ?? undefined,
      tenantId: w.tenantId,
      pipelineId: w.pipelineId,
      state: this.#stateOf(w, nowMs),
      registeredAtMs: w.registeredAtMs,
      lastHeartbeatAtMs: w.lastHeartbeatAtMs,
      drainingSinceMs: w.drainingSinceMs,
    };
  }

  #stateOf(w: WorkerStateRecord, nowMs: number): WorkerState {
    if (w.drainingSinceMs !== null) return 'DRAINING';
    if (w.unavailableSinceMs !== null) return 'UNAVAILABLE';
    if (nowMs - w.lastHeartbeatAtMs > this.#staleAfterMs) return 'STALE';
    return 'HEALTHY';
  }
}

const notFound = (workerId: string, pipelineId: string) =>
  new CapstanError('worker_not_found', `No worker '${workerId}' is registered for '${pipelineId}'.`);
