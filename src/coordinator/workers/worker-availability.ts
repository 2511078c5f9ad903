import type { Clock } from '../../runtime/clock.ts';
import type { Store } from '../../store/store-port.ts';
import type { RemoteWorkerDirectory } from './remote-worker-directory.ts';
import type { HostedRelease, TransitionWorker } from '../../segment/transition-worker.ts';
import type { WorkerLifecycle } from './worker-lifecycle.ts';
import type { WorkerRegistry } from './worker-registry.ts';

interface PipelineRef {
  readonly tenantId: string;
  readonly pipelineId: string;
}

const refKey = (r: PipelineRef) => `${r.tenantId}\u0000${r.pipelineId}`;

/** Each pipeline a worker hosts, once (a worker may host several releases of one pipeline). */
function pipelinesOf(worker: TransitionWorker): HostedRelease[] {
  return [...new Map(worker.hostedReleases().map((r) => [refKey(r), r])).values()];
}

/**
 * Keeps the routing table in step with the lifecycle registry: remote workers join it when
 * they register, and their states decide what each takes (HEALTHY: new work; DRAINING: only
 * the executions pinned to its release that no HEALTHY worker can take). The coordinator's own
 * in-process workers are registered workers like any other, so it heartbeats them here, often
 * enough that they never look stale.
 */
export class WorkerAvailability {
  readonly #workers: WorkerRegistry;
  readonly #lifecycle: WorkerLifecycle;
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #directory: RemoteWorkerDirectory | undefined;
  readonly #heartbeatEveryMs: number;
  #heartbeatAtMs = Number.NEGATIVE_INFINITY;

  constructor(options: {
    workers: WorkerRegistry;
    lifecycle: WorkerLifecycle;
    store: Store;
    clock: Clock;
    staleAfterMs: number;
    directory?: RemoteWorkerDirectory | undefined;
  }) {
    this.#workers = options.workers;
    this.#lifecycle = options.lifecycle;
    this.#store = options.store;
    this.#clock = options.clock;
    this.#directory = options.directory;
    this.#heartbeatEveryMs = options.staleAfterMs / 3;
  }

  /**
   * Reads the registrations and states of every pipeline's workers (or one pipeline's) into
   * the routing table.
   */
  async sync(only?: PipelineRef): Promise<void> {
    for (const ref of only ? [only] : await this.#pipelines()) {
      const read = this.#workers.beginRead();
      const records = await this.#lifecycle.list(ref.tenantId, ref.pipelineId);
      this.#directory?.adopt(ref.tenantId, ref.pipelineId, records);
      for (const worker of this.#workers.workers) {
        if (!pipelinesOf(worker).some((r) => refKey(r) === refKey(ref))) continue;
        const record = records.find((w) => w.workerId === worker.workerId);
        this.#workers.setAvailable(worker.workerId, ref.tenantId, ref.pipelineId, record?.state, read);
      }
    }
  }

  /** The pipelines routed workers host, and those any worker registered for. */
  async #pipelines(): Promise<PipelineRef[]> {
    const refs = new Map<string, PipelineRef>();
    for (const worker of this.#workers.workers) for (const r of pipelinesOf(worker)) refs.set(refKey(r), r);
    if (this.#directory) for (const r of await this.#store.listWorkerPipelines()) refs.set(refKey(r), r);
    return [...refs.values()];
  }

  /** Heartbeats the in-process workers when a third of `stale-after` has passed. */
  async heartbeatLocalWorkers(): Promise<void> {
    const atMs = this.#clock.now();
    if (atMs - this.#heartbeatAtMs < this.#heartbeatEveryMs) return;
    this.#heartbeatAtMs = atMs;
    for (const worker of this.#workers.workers.filter((w) => w.protocol === 'local')) {
      for (const { tenantId, pipelineId } of pipelinesOf(worker)) {
        await this.#store.signalWorker({
          tenantId,
          pipelineId,
          workerId: worker.workerId,
          type: 'HEARTBEAT',
          data: {},
          atMs,
        });
      }
      // Like a remote worker's heartbeat, it wakes what dispatch errors parked on its routes.
      for (const { tenantId, pipelineId, releaseVersion } of worker.hostedReleases())
        await this.#store.wakeParked({ tenantId, pipelineId, releaseVersion, nowMs: atMs });
    }
  }
}
