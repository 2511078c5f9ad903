import { attemptConfig, type LoadedConfig } from './load-config.ts';
import { ConfigError } from '../errors/config-error.ts';
import { grpcProtocolConfig } from './worker-grpc-config.ts';
import { hasProtocolSecret } from './worker-protocol-keys.ts';
import { restProtocolConfig } from './worker-rest-config.ts';
import type { CapstanWorker, CreateWorkerOptions } from '../worker/create-worker.ts';

const REST = 'pipeline.orchestrator.worker.rest.';
const GRPC = 'pipeline.orchestrator.worker.grpc.';
const QUEUE = 'pipeline.orchestrator.worker.queue.';

/**
 * The protocols `capstan worker` serves, with their keys: REST on `capstan.port` while
 * `worker.rest.server-enabled` (the default), gRPC on `capstan.worker.grpc-port` when
 * `worker.grpc.server-enabled` (`--grpc-port` sets both). A worker configured for gRPC alone
 * (no REST secret, REST not asked for explicitly) serves gRPC only. Each protocol needs its
 * own secret: nothing is ever served unsigned. A worker with `worker.queue.broker` set consumes
 * a request queue as well (or alone, without a REST secret); run-worker connects that broker.
 * Every problem is reported at once.
 */
export function workerServers(
  config: LoadedConfig,
  env: NodeJS.ProcessEnv = process.env,
): Pick<CreateWorkerOptions, 'rest' | 'grpc' | 'keys' | 'signatureToleranceMs'> {
  const { values, sources } = config;
  const grpcEnabled = values[`${GRPC}server-enabled`];
  const queueEnabled = values[`${QUEUE}broker`] !== undefined;
  const restImplicitlyOff =
    (grpcEnabled || queueEnabled) &&
    sources[`${REST}server-enabled`] === 'default' &&
    !hasProtocolSecret(values, REST);
  const restEnabled = values[`${REST}server-enabled`] && !restImplicitlyOff;
  if (!restEnabled && !grpcEnabled && !queueEnabled)
    throw new ConfigError([
      `${REST}server-enabled=false and ${GRPC}server-enabled=false leave this worker no protocol to serve (or set ${QUEUE}broker)`,
    ]);
  const problems: string[] = [];
  const attempt = <T>(configure: () => T): T | undefined => attemptConfig(problems, configure);
  const rest = restEnabled ? attempt(() => restProtocolConfig(values, env)) : undefined;
  if (restEnabled && !rest && problems.length === 0)
    problems.push(
      `a worker needs ${REST}shared-secret-ref (or …secret-refs) to serve REST: the protocol is never served unsigned`,
    );
  const grpc = grpcEnabled ? attempt(() => grpcProtocolConfig(values, env)) : undefined;
  if (problems.length > 0) throw new ConfigError(problems);
  const host = values['capstan.host'];
  const advertisedUrl = values['capstan.worker.advertised-url'];
  const advertisedEndpoint = values['capstan.worker.grpc-advertised-endpoint'];
  const keys = rest?.keys ?? grpc?.keys;
  return {
    ...(keys ? { keys } : {}),
    ...(rest
      ? {
          rest: { port: values['capstan.port'], host, ...(advertisedUrl ? { advertisedUrl } : {}) },
          signatureToleranceMs: rest.toleranceMs,
        }
      : {}),
    ...(grpc
      ? {
          grpc: {
            port: values['capstan.worker.grpc-port'],
            host,
            keys: grpc.keys,
            signatureToleranceMs: grpc.toleranceMs,
            maxInboundMessageBytes: grpc.maxInboundMessageBytes,
            ...(advertisedEndpoint ? { advertisedEndpoint } : {}),
          },
        }
      : {}),
  };
}

/** The banner's lines saying where the worker listens, and where a coordinator lists it. */
export function listeningLines(worker: CapstanWorker): { lines: string[]; targetKey: string } {
  return {
    lines: [
      ...(worker.url ? [`Capstan worker ${worker.workerId} listening on ${worker.url}`] : []),
      ...(worker.queueGroup !== undefined
        ? [`Capstan worker ${worker.workerId} consuming queue ${worker.queueGroup}`]
        : []),
      ...(worker.grpcEndpoint
        ? [`Capstan worker ${worker.workerId} serving gRPC on ${worker.grpcEndpoint}`]
        : []),
    ],
    targetKey:
      worker.protocol === 'queue'
        ? 'workers: `capstan workers register --protocol queue --endpoint <group>`'
        : worker.protocol === 'grpc'
          ? 'worker.grpc.endpoint'
          : 'worker.rest.base-url',
  };
}
