import type { CoordinatorMetrics } from '../../metrics/coordinator-metrics.ts';
import type { ReleaseCatalog } from '../../releases/release-catalog.ts';
import type { CoordinatorDeps } from '../coordinator-deps.ts';
import { grpcWorkerTransport } from './grpc-worker-transport.ts';
import { RemoteWorkerDirectory } from './remote-worker-directory.ts';
import { restWorkerTransport } from './rest-worker-transport.ts';
import { WorkerAvailability } from './worker-availability.ts';
import type { WorkerLifecycle } from './worker-lifecycle.ts';
import { WorkerTargetProber } from './worker-target-prober.ts';

/**
 * A coordinator's remote workers: which transports it dispatches over (REST, gRPC, queue; each
 * instrumented), the availability that follows their registrations and heartbeats, and a
 * prober for the configured endpoints (queue workers register themselves: nothing to probe).
 */
export function remoteWorkers(
  deps: CoordinatorDeps,
  parts: {
    metrics: CoordinatorMetrics;
    lifecycle: WorkerLifecycle;
    catalog: ReleaseCatalog;
    allowsEndpoint: (endpoint: string) => boolean;
  },
): { availability: WorkerAvailability; prober: WorkerTargetProber | undefined; protocols: RemoteProtocols } {
  const { metrics, lifecycle, catalog } = parts;
  const remotes = [
    deps.restWorkers && {
      transport: metrics.workers.instrument(restWorkerTransport(deps.restWorkers.client)),
      endpoints: deps.restWorkers.baseUrls,
      tenantId: deps.restWorkers.tenantId,
    },
    deps.grpcWorkers && {
      transport: metrics.workers.instrument(grpcWorkerTransport(deps.grpcWorkers.client)),
      endpoints: deps.grpcWorkers.endpoints,
      tenantId: deps.grpcWorkers.tenantId,
    },
    deps.queueWorkers && {
      transport: metrics.workers.instrument(deps.queueWorkers.transport),
      endpoints: [],
      tenantId: deps.queueWorkers.tenantId,
    },
  ].filter((remote) => remote !== undefined);
  const availability = new WorkerAvailability({
    workers: deps.workers,
    lifecycle,
    store: deps.store,
    clock: deps.clock,
    staleAfterMs: deps.config.workerStaleAfterMs,
    directory: new RemoteWorkerDirectory({
      registry: deps.workers,
      transports: remotes.map((remote) => remote.transport),
      allowsEndpoint: parts.allowsEndpoint,
      contractOf: (c) => catalog.validatorsFor(c.tenantId, c.pipelineId, c.releaseVersion),
      logger: deps.logger,
    }),
  });
  const targets = remotes.flatMap(({ transport, endpoints }) =>
    endpoints.map((endpoint) => ({ transport, endpoint })),
  );
  const prober =
    targets.length > 0
      ? new WorkerTargetProber({
          targets,
          tenantId: remotes[0]?.tenantId ?? 'default',
          lifecycle,
          clock: deps.clock,
          logger: deps.logger,
          staleAfterMs: deps.config.workerStaleAfterMs,
        })
      : undefined;
  const protocols: RemoteProtocols = {
    protocols: [
      ...(deps.restWorkers ? (['rest'] as const) : []),
      ...(deps.grpcWorkers ? (['grpc'] as const) : []),
      ...(deps.queueWorkers ? (['queue'] as const) : []),
    ],
    queueBroker: deps.queueWorkers?.broker ?? null,
  };
  return { availability, prober, protocols };
}

/** The remote protocols a coordinator dispatches segments over: those configured with their keys. */
export interface RemoteProtocols {
  readonly protocols: readonly ('rest' | 'grpc' | 'queue')[];
  /** The broker queue workers are reached through; null without them (or when not named). */
  readonly queueBroker: 'nats' | 'rabbitmq' | 'sqs' | null;
}
