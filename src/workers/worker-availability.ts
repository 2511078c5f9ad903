import type { Clock } from '../runtime/clock.ts';
import type { Store } from '../store/store-port.ts';
import type { HostedRelease, TransitionWorker } from './transition-worker.ts';
import type { WorkerLifecycle } from './worker-lifecycle.ts';
import type { WorkerRegistry } from './worker-registry.ts';

/** Each pipeline a worker hosts, once (a worker may host several releases of one pipeline). */
function pipelinesOf(worker: TransitionWorker): HostedRelease[] {
  return [...new Map(worker.hostedReleases().map((r) => [`${r.tenantId}\u0000${r.pipelineId}`, r])).values()];
}

/**
 * Keeps the routing table in step with the lifecycle registry: only workers whose state is
 * HEALTHY take new work. The coordinator's own in-process workers are registered workers like
 * any other, so it heartbeats them here, often enough that they never look stale.
 */
export class WorkerAvailability {
  readonly #workers: WorkerRegistry;
  readonly #lifecycle: WorkerLifecycle;
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #heartbeatEveryMs: number;
  #heartbeatAtMs = Number.NEGATIVE_INFINITY;

  constructor(options: {
    workers: WorkerRegistry;
    lifecycle: WorkerLifecycle;
    store: Store;
    clock: Clock;
    staleAfterMs: number;
  }) {
    this.#workers = options.workers;
    this.#lifecycle = options.lifecycle;
    this.#store = options.store;
    this.#clock = options.clock;
    this.#heartbeatEveryMs = options.staleAfterMs / 3;
  }

  /** Reads the state of every routed worker (or those of one pipeline) into the routing table. */
  async sync(only?: { tenantId: string; pipelineId: string }): Promise<void> {
    for (const worker of this.#workers.workers) {
      for (const { tenantId, pipelineId } of pipelinesOf(worker)) {
        if (only && (only.tenantId !== tenantId || only.pipelineId !== pipelineId)) continue;
        const record = (await this.#lifecycle.list(tenantId, pipelineId)).find(
          (w) => w.workerId === worker.workerId,
        );
        this.#workers.setAvailable(worker.workerId, tenantId, pipelineId, record?.state === 'HEALTHY');
      }
    }
  }

  /** Heartbeats the in-process workers when a third of `stale-after` has passed. */
  async heartbeatLocalWorkers(): Promise<void> {
    const atMs = this.#clock.now();
    if (atMs - this.#heartbeatAtMs < this.#heartbeatEveryMs) return;
    this.#heartbeatAtMs = atMs;
    for (const worker of this.#workers.workers.filter((w) => w.protocol === 'local')) {
      for (const { tenantId, pipelineId } of pipelinesOf(worker)) {
        await this.#store.appendWorkerEvent({
          tenantId,
          pipelineId,
          workerId: worker.workerId,
          type: 'HEARTBEAT',
          data: {},
          atMs,
        });
      }
    }
  }
}
