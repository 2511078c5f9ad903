import type { Logger } from '../../runtime/logger.ts';
import {
  type ContractLookup,
  RemoteTransitionWorker,
  type RemoteProtocol,
  type WorkerTransport,
} from './remote-transition-worker.ts';
import { PullWorker } from './pull-worker.ts';
import type { WorkerRecord } from './worker-lifecycle.ts';
import type { WorkerRegistry } from './worker-registry.ts';

/**
 * Turns remote registrations into dispatch targets. A worker that registered (itself, through
 * the admin API, or through the coordinator's probe of a configured target) with protocol
 * `rest`, `grpc` or `queue` joins the one routing table as a RemoteTransitionWorker over that
 * protocol's transport; its lifecycle state then decides, as for every worker, whether it
 * takes new work. A `pull` registration joins it as a PullWorker, which admission counts but
 * dispatch never sends to. A protocol without a transport has no shared secret to sign calls with, so
 * its registrations are listed but never dispatched to.
 */
export class RemoteWorkerDirectory {
  readonly #registry: WorkerRegistry;
  readonly #transports: Partial<Record<RemoteProtocol, WorkerTransport>>;
  readonly #logger: Logger;
  readonly #warned = new Set<string>();

  readonly #allowsEndpoint: (endpoint: string) => boolean;
  readonly #contractOf: ContractLookup;

  constructor(options: {
    registry: WorkerRegistry;
    transports: readonly WorkerTransport[];
    /** The endpoint allow-list: a registration from before it was set is not dispatched to. */
    allowsEndpoint?: (endpoint: string) => boolean;
    /** The pinned contract each remote result is checked against before it is committed. */
    contractOf: ContractLookup;
    logger: Logger;
  }) {
    this.#contractOf = options.contractOf;
    this.#registry = options.registry;
    this.#allowsEndpoint = options.allowsEndpoint ?? (() => true);
    this.#transports = Object.fromEntries(options.transports.map((t) => [t.protocol, t]));
    this.#logger = options.logger;
  }

  /** Routes to every remote worker registered for this pipeline, at its registered release. */
  adopt(tenantId: string, pipelineId: string, records: readonly WorkerRecord[]): void {
    for (const record of records) {
      if (record.protocol === 'pull') {
        this.#pullWorker(record.workerId)?.host({
          tenantId,
          pipelineId,
          contractVersion: record.contractVersion,
          releaseVersion: record.releaseVersion,
        });
        continue;
      }
      if (record.protocol !== 'rest' && record.protocol !== 'grpc' && record.protocol !== 'queue') continue;
      // A queue worker's endpoint is a queue name on the configured broker, not an address.
      if (record.protocol !== 'queue' && !this.#allowsEndpoint(record.endpoint)) {
        this.#warnOnce(
          record.workerId,
          `worker '${record.workerId}' is registered at ${record.endpoint}, outside capstan.workers.allowed-endpoints; it is not dispatched to`,
        );
        continue;
      }
      const worker = this.#workerFor(record.workerId, record.protocol);
      worker?.host(
        {
          tenantId,
          pipelineId,
          contractVersion: record.contractVersion,
          releaseVersion: record.releaseVersion,
        },
        record.endpoint,
      );
    }
  }

  #workerFor(workerId: string, protocol: RemoteProtocol): RemoteTransitionWorker | undefined {
    const known = this.#registry.find(workerId);
    if (known instanceof RemoteTransitionWorker && known.protocol === protocol) return known;
    const transport = this.#transports[protocol];
    const name = { rest: 'REST', grpc: 'gRPC', queue: 'Queue' }[protocol];
    if (known || !transport) {
      this.#warnOnce(
        workerId,
        known
          ? `${name} worker '${workerId}' has the id of a ${known.protocol} worker; it is not dispatched to`
          : protocol === 'queue'
            ? `${name} worker '${workerId}' registered, but no pipeline.orchestrator.worker.queue.broker (with its shared-secret-ref) is configured to reach it`
            : `${name} worker '${workerId}' registered, but no pipeline.orchestrator.worker.${protocol}.shared-secret-ref is configured to call it`,
      );
      return undefined;
    }
    const worker = new RemoteTransitionWorker(workerId, transport, this.#contractOf);
    this.#registry.add(worker);
    return worker;
  }

  /** The routing table's entry of a pull worker: it is never called, so it needs no transport. */
  #pullWorker(workerId: string): PullWorker | undefined {
    const known = this.#registry.find(workerId);
    if (known instanceof PullWorker) return known;
    if (known) {
      this.#warnOnce(
        workerId,
        `pull worker '${workerId}' has the id of a ${known.protocol} worker; it is not routed`,
      );
      return undefined;
    }
    const worker = new PullWorker(workerId);
    this.#registry.add(worker);
    return worker;
  }

  #warnOnce(workerId: string, message: string): void {
    if (this.#warned.has(workerId)) return;
    this.#warned.add(workerId);
    this.#logger.warn({ workerId }, message);
  }
}
