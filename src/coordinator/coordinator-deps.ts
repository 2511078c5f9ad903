import type { PublicationSink, RelayPolicy } from '../dlq/outbox-relay.ts';
import type { Clock } from '../runtime/clock.ts';
import type { Logger } from '../runtime/logger.ts';
import type { Random } from '../runtime/random.ts';
import type { Timers } from '../runtime/timers.ts';
import type { Store } from '../store/store-port.ts';
import type { Tracing } from '../tracing/tracing.ts';
import type { EngineConfig } from './engine-config.ts';
import type { GrpcWorkerCaller } from './workers/lazy-grpc-worker-client.ts';
import type { QueueWorkerTransport } from './workers/queue-worker-transport.ts';
import type { SignedRestClient } from './workers/signed-rest-client.ts';
import type { WorkerRegistrationPolicy } from './workers/worker-registration-policy.ts';
import type { WorkerRegistry } from './workers/worker-registry.ts';

/** What a coordinator is made of: its store, injected time and randomness, and its remote workers. */
export interface CoordinatorDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly random: Random;
  readonly logger: Logger;
  readonly config: EngineConfig;
  readonly workers: WorkerRegistry;
  /** Where outbox publications go, by topic; defaults to the log DLQ sink. */
  readonly sinks?: ReadonlyMap<string, PublicationSink>;
  /** How the outbox relay retries and parks a message its sink refuses. */
  readonly relayPolicy?: RelayPolicy;
  /** Remote REST workers: without it, REST registrations are listed but never dispatched to. */
  readonly restWorkers?: RestWorkersOptions;
  /** Remote gRPC workers: without it, gRPC registrations are listed but never dispatched to. */
  readonly grpcWorkers?: GrpcWorkersOptions;
  /**
   * Queue workers, over a broker (docs/queue-workers.md): without it, queue registrations are
   * listed but never dispatched to. The coordinator starts consuming its replies in `start`
   * and closes the broker link in `stop`.
   */
  readonly queueWorkers?: {
    readonly transport: QueueWorkerTransport;
    readonly tenantId: string;
    /** The broker behind the transport, for discovery (`/api/cluster/info`). */
    readonly broker?: 'nats' | 'rabbitmq' | 'sqs';
  };
  /** Who may register workers where; default: no allow-list, no key to verify signed registrations. */
  readonly workerRegistration?: WorkerRegistrationPolicy;
  /** Where submit, segment and step spans go (docs/tracing.md); default: none are recorded. */
  readonly tracing?: Tracing;
}

export interface RestWorkersOptions {
  /** Signs calls to workers and checks their answers. */
  readonly client: SignedRestClient;
  /** Workers configured by base URL, probed and registered by the coordinator. */
  readonly baseUrls: readonly string[];
  /** The tenant a probed worker hosts for when it does not say. */
  readonly tenantId: string;
}

export interface GrpcWorkersOptions {
  /** Signs calls to workers and checks their answers. */
  readonly client: GrpcWorkerCaller;
  /** Workers configured by `host:port`, probed and registered by the coordinator. */
  readonly endpoints: readonly string[];
  /** The tenant a probed worker hosts for when it does not say. */
  readonly tenantId: string;
}
