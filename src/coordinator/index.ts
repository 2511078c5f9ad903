/** The coordinator as a library: build one around a store, host pipelines, drive it. */
import { systemClock, type Clock } from '../runtime/clock.ts';
import { systemRandom, type Random } from '../runtime/random.ts';
import { systemTimers, type Timers } from '../runtime/timers.ts';
import type { Store } from '../store/store-port.ts';
import type { WorkerRegistrationPolicy } from './workers/worker-registration-policy.ts';
import { WorkerRegistry } from './workers/worker-registry.ts';
import { Coordinator } from './coordinator.ts';
import type { CoordinatorDeps } from './coordinator-deps.ts';
import type { GrpcWorkersOptions, RestWorkersOptions } from './coordinator-deps.ts';
import { defaultEngineConfig } from '../config/engine-settings.ts';
import type { EngineConfig } from './engine-config.ts';
import { silentLogger, type Logger } from '../runtime/logger.ts';
import type { PublicationSink, RelayPolicy } from '../dlq/outbox-relay.ts';
import type { Tracing } from '../tracing/tracing.ts';

export interface CreateCoordinatorOptions {
  readonly store: Store;
  readonly clock?: Clock;
  readonly timers?: Timers;
  readonly random?: Random;
  readonly logger?: Logger;
  readonly config?: Partial<EngineConfig>;
  readonly workers?: WorkerRegistry;
  readonly sinks?: ReadonlyMap<string, PublicationSink>;
  readonly relayPolicy?: RelayPolicy;
  readonly restWorkers?: RestWorkersOptions;
  readonly grpcWorkers?: GrpcWorkersOptions;
  /** Queue workers over a broker (docs/queue-workers.md); started and stopped with the coordinator. */
  readonly queueWorkers?: CoordinatorDeps['queueWorkers'];
  readonly workerRegistration?: WorkerRegistrationPolicy;
  /** Spans of submits, segments and steps (`startTracing`, docs/tracing.md); default: none. */
  readonly tracing?: Tracing;
}

export function createCoordinator(options: CreateCoordinatorOptions): Coordinator {
  return new Coordinator({
    store: options.store,
    clock: options.clock ?? systemClock,
    timers: options.timers ?? systemTimers,
    random: options.random ?? systemRandom,
    logger: options.logger ?? silentLogger,
    config: { ...defaultEngineConfig, ...options.config },
    workers: options.workers ?? new WorkerRegistry(),
    ...(options.sinks ? { sinks: options.sinks } : {}),
    ...(options.relayPolicy ? { relayPolicy: options.relayPolicy } : {}),
    ...(options.restWorkers ? { restWorkers: options.restWorkers } : {}),
    ...(options.grpcWorkers ? { grpcWorkers: options.grpcWorkers } : {}),
    ...(options.queueWorkers ? { queueWorkers: options.queueWorkers } : {}),
    ...(options.workerRegistration ? { workerRegistration: options.workerRegistration } : {}),
    ...(options.tracing ? { tracing: options.tracing } : {}),
  });
}

export { Coordinator } from './coordinator.ts';
export { hostLocalPipelines } from './host-local-pipelines.ts';
export { defaultEngineConfig } from '../config/engine-settings.ts';
export type { EngineConfig } from './engine-config.ts';
// The package's public `capstan/coordinator` entry lets an embedder construct the store itself.
// eslint-disable-next-line no-restricted-imports
export { SqliteStore } from '../store/sqlite/sqlite-store.ts';
export { LocalWorker } from './workers/local-worker.ts';
export { WorkerRegistry } from './workers/worker-registry.ts';
export { startTracing, type TracingOptions } from '../tracing/start-tracing.ts';
export type { Tracing } from '../tracing/tracing.ts';
