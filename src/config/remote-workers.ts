import type { GrpcWorkersOptions, RestWorkersOptions } from '../coordinator/coordinator-deps.ts';
import { attemptConfig } from './load-config.ts';
import { ConfigError } from '../errors/config-error.ts';
import type { Settings } from './settings.ts';
import { grpcProtocolConfig } from './worker-grpc-config.ts';
import { restProtocolConfig } from './worker-rest-config.ts';
import { queueProtocolConfig, type QueueProtocolConfig } from './worker-queue-config.ts';
import { systemClock } from '../runtime/clock.ts';
import { systemRandom } from '../runtime/random.ts';
import { systemTimers } from '../runtime/timers.ts';
import { parseIsoDuration } from '../util/iso-duration.ts';
import { lazyGrpcWorkerClient } from '../coordinator/workers/lazy-grpc-worker-client.ts';
import { SignedRestClient } from '../coordinator/workers/signed-rest-client.ts';
import type { KeyRing } from '../worker-protocol/key-ring.ts';

const system = { clock: systemClock, random: systemRandom, timers: systemTimers };

/**
 * How a coordinator reaches its workers: remote REST and gRPC workers when the protocol's
 * secret is configured, and its own in-process worker unless `require-remote-worker` forbids
 * it. With `require-remote-worker=true` and no remote protocol it refuses to start, since it
 * could then run nothing at all.
 */
export function remoteWorkerSetup(
  values: Settings,
  env: NodeJS.ProcessEnv = process.env,
): {
  restWorkers: RestWorkersOptions | undefined;
  grpcWorkers: GrpcWorkersOptions | undefined;
  /** Queue workers' broker and keys; the broker is connected later, by `openSegmentQueue`. */
  queueWorkers: QueueProtocolConfig | undefined;
  hostLocally: boolean;
  /** The worker protocols' keys and signature tolerance: what a signed worker registration is checked with. */
  registrationKeys: { keyRings: KeyRing[]; toleranceMs: number };
} {
  const problems: string[] = [];
  const attempt = <T>(configure: () => T): T | undefined => attemptConfig(problems, configure);
  const rest = attempt(() => restProtocolConfig(values, env));
  const grpc = attempt(() => grpcProtocolConfig(values, env));
  const queue = attempt(() => queueProtocolConfig(values, env));
  if (problems.length > 0) throw new ConfigError(problems);
  const requireRemote = values['pipeline.orchestrator.control-plane.require-remote-worker'];
  if (requireRemote && !rest && !grpc && !queue)
    throw new ConfigError([
      'pipeline.orchestrator.control-plane.require-remote-worker=true, but no remote worker protocol is configured: ' +
        'set pipeline.orchestrator.worker.rest.shared-secret-ref (or …worker.grpc.shared-secret-ref) for workers that register themselves ' +
        'and, for workers that do not, pipeline.orchestrator.worker.rest.base-url (or …worker.grpc.endpoint)',
    ]);
  for (const [protocol, config] of [
    ['rest', rest],
    ['grpc', grpc],
    ['queue', queue],
  ] as const)
    if (config && !config.keys.canSign)
      problems.push(
        `pipeline.orchestrator.worker.${protocol}: the coordinator signs its calls with the shared-secret-ref, or the key signing-key-id names`,
      );
  if (problems.length > 0) throw new ConfigError(problems);
  const tenantId = values['pipeline.orchestrator.default-tenant'];
  const restWorkers = rest && {
    client: new SignedRestClient({
      ...rest,
      ...system,
      keepAliveMs: parseIsoDuration(values['pipeline.orchestrator.worker.rest.keep-alive']) ?? 0,
    }),
    baseUrls: rest.baseUrls,
    tenantId,
  };
  const grpcWorkers = grpc && {
    client: lazyGrpcWorkerClient({ ...grpc, ...system }),
    endpoints: grpc.endpoints,
    tenantId,
  };
  const protocols = [rest, grpc, queue].filter((p) => p !== undefined);
  const registrationKeys = {
    keyRings: protocols.map((p) => p.keys),
    toleranceMs: Math.max(0, ...protocols.map((p) => p.toleranceMs)),
  };
  return { restWorkers, grpcWorkers, queueWorkers: queue, hostLocally: !requireRemote, registrationKeys };
}
