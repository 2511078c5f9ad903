import { CapstanError } from '../errors/catalog.ts';
import type { Clock } from '../runtime/clock.ts';
import type { WorkerEvent } from '../store/records.ts';
import type { Store } from '../store/store-port.ts';

/**
 * Worker states, computed at read time from the append-only lifecycle events:
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

interface Folded {
  registration: WorkerRegistration;
  registeredAtMs: number;
  lastHeartbeatAtMs: number;
  drainingSinceMs: number | null;
  unavailableSinceMs: number | null;
}

/** Folds one pipeline's lifecycle events into the current record of each worker. */
export function foldWorkerEvents(events: readonly WorkerEvent[]): Map<string, Folded> {
  const workers = new Map<string, Folded>();
  for (const e of events) {
    if (e.type === 'REGISTER') {
      const d = e.data;
      workers.set(e.workerId, {
        registration: {
          workerId: e.workerId,
          contractVersion: String(d.contractVersion),
          releaseVersion: String(d.releaseVersion),
          protocol: String(d.protocol),
          endpoint: String(d.endpoint),
          artifactId: typeof d.artifactId === 'string' ? d.artifactId : undefined,
          artifactDigest: typeof d.artifactDigest === 'string' ? d.artifactDigest : undefined,
        },
        registeredAtMs: e.atMs,
        lastHeartbeatAtMs: e.atMs,
        drainingSinceMs: null,
        unavailableSinceMs: null,
      });
      continue;
    }
    const worker = workers.get(e.workerId);
    if (!worker) continue;
    if (e.type === 'HEARTBEAT') {
      worker.lastHeartbeatAtMs = e.atMs;
      worker.unavailableSinceMs = null;
    } else if (e.type === 'DRAIN') worker.drainingSinceMs ??= e.atMs;
    else if (e.type === 'UNDRAIN') worker.drainingSinceMs = null;
    else if (e.type === 'UNAVAILABLE') worker.unavailableSinceMs = e.atMs;
  }
  return workers;
}

/**
 * The worker lifecycle registry: register, heartbeat, drain and undrain append events; the
 * list folds them with the clock. Registration is idempotent per worker id (a restarted worker
 * registers again and is HEALTHY, not draining).
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

  async register(tenantId: string, pipelineId: string, r: WorkerRegistration): Promise<WorkerRecord> {
    await this.#append(tenantId, pipelineId, r.workerId, 'REGISTER', {
      contractVersion: r.contractVersion,
      releaseVersion: r.releaseVersion,
      protocol: r.protocol.toLowerCase(),
      endpoint: r.endpoint,
      ...(r.artifactId ? { artifactId: r.artifactId } : {}),
      ...(r.artifactDigest ? { artifactDigest: r.artifactDigest } : {}),
    });
    await this.#wakeParked(tenantId, pipelineId, r.releaseVersion);
    return this.get(tenantId, pipelineId, r.workerId);
  }

  /** HEARTBEAT, DRAIN or UNDRAIN of a registered worker; unknown workers are 404. */
  async signal(
    tenantId: string,
    pipelineId: string,
    workerId: string,
    type: 'HEARTBEAT' | 'DRAIN' | 'UNDRAIN',
  ): Promise<WorkerRecord> {
    await this.get(tenantId, pipelineId, workerId);
    await this.#append(tenantId, pipelineId, workerId, type, {});
    const worker = await this.get(tenantId, pipelineId, workerId);
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
    await this.#append(tenantId, pipelineId, workerId, 'UNAVAILABLE', { reason: reason.slice(0, 500) });
  }

  async get(tenantId: string, pipelineId: string, workerId: string): Promise<WorkerRecord> {
    const worker = (await this.list(tenantId, pipelineId)).find((w) => w.workerId === workerId);
    if (!worker)
      throw new CapstanError(
        'worker_not_found',
        `No worker '${workerId}' is registered for '${pipelineId}'.`,
      );
    return worker;
  }

  async list(
    tenantId: string,
    pipelineId: string,
    filter: { contractVersion?: string | undefined; releaseVersion?: string | undefined } = {},
  ): Promise<WorkerRecord[]> {
    const nowMs = this.#clock.now();
    const folded = foldWorkerEvents(await this.#store.listWorkerEvents(tenantId, pipelineId));
    return [...folded.values()]
      .map((w): WorkerRecord => ({
        ...w.registration,
        tenantId,
        pipelineId,
        state: this.#stateOf(w, nowMs),
        registeredAtMs: w.registeredAtMs,
        lastHeartbeatAtMs: w.lastHeartbeatAtMs,
        drainingSinceMs: w.drainingSinceMs,
      }))
      .filter((w) => (filter.contractVersion ?? w.contractVersion) === w.contractVersion)
      .filter((w) => (filter.releaseVersion ?? w.releaseVersion) === w.releaseVersion)
      .sort((a, b) => a.workerId.localeCompare(b.workerId));
  }

  #stateOf(w: Folded, nowMs: number): WorkerState {
    if (w.drainingSinceMs !== null) return 'DRAINING';
    if (w.unavailableSinceMs !== null) return 'UNAVAILABLE';
    if (nowMs - w.lastHeartbeatAtMs > this.#staleAfterMs) return 'STALE';
    return 'HEALTHY';
  }

  async #append(
    tenantId: string,
    pipelineId: string,
    workerId: string,
    type: WorkerEvent['type'],
    data: Record<string, unknown>,
  ): Promise<void> {
    await this.#store.appendWorkerEvent({
      tenantId,
      pipelineId,
      workerId,
      type,
      data,
      atMs: this.#clock.now(),
    });
  }
}
