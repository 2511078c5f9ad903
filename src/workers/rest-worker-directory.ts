import type { Logger } from '../coordinator/logger.ts';
import { RestTransitionWorker } from './rest-transition-worker.ts';
import type { SignedRestClient } from './signed-rest-client.ts';
import type { WorkerRecord } from './worker-lifecycle.ts';
import type { WorkerRegistry } from './worker-registry.ts';

/**
 * Turns REST registrations into dispatch targets. A worker that registered (itself, through
 * the admin API, or through the coordinator's probe of a configured base URL) with protocol
 * `rest` joins the one routing table as a RestTransitionWorker; its lifecycle state then
 * decides, as for every worker, whether it takes new work. Without a shared secret the
 * coordinator cannot sign a call, so registrations are listed but never dispatched to.
 */
export class RestWorkerDirectory {
  readonly #registry: WorkerRegistry;
  readonly #client: SignedRestClient | undefined;
  readonly #logger: Logger;
  readonly #warned = new Set<string>();

  constructor(options: { registry: WorkerRegistry; client: SignedRestClient | undefined; logger: Logger }) {
    this.#registry = options.registry;
    this.#client = options.client;
    this.#logger = options.logger;
  }

  /** Routes to every REST worker registered for this pipeline, at its registered release. */
  adopt(tenantId: string, pipelineId: string, records: readonly WorkerRecord[]): void {
    for (const record of records) {
      if (record.protocol !== 'rest') continue;
      const worker = this.#workerFor(record.workerId);
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

  #workerFor(workerId: string): RestTransitionWorker | undefined {
    const known = this.#registry.find(workerId);
    if (known instanceof RestTransitionWorker) return known;
    if (known || !this.#client) {
      this.#warnOnce(
        workerId,
        known
          ? `REST worker '${workerId}' has the id of a ${known.protocol} worker; it is not dispatched to`
          : `REST worker '${workerId}' registered, but no pipeline.orchestrator.worker.rest.shared-secret-ref is configured to call it`,
      );
      return undefined;
    }
    const worker = new RestTransitionWorker(workerId, this.#client);
    this.#registry.add(worker);
    return worker;
  }

  #warnOnce(workerId: string, message: string): void {
    if (this.#warned.has(workerId)) return;
    this.#warned.add(workerId);
    this.#logger.warn({ workerId }, message);
  }
}
