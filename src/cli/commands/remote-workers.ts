import type { RestWorkersOptions } from '../../coordinator/coordinator.ts';
import { ConfigError } from '../../config/load-config.ts';
import type { Settings } from '../../config/settings.ts';
import { restProtocolConfig } from '../../config/worker-rest-config.ts';
import { systemClock } from '../../runtime/clock.ts';
import { systemRandom } from '../../runtime/random.ts';
import { systemTimers } from '../../runtime/timers.ts';
import { SignedRestClient } from '../../workers/signed-rest-client.ts';

/**
 * How a coordinator reaches its workers: remote REST workers when the protocol's secret is
 * configured, and its own in-process worker unless `require-remote-worker` forbids it. With
 * `require-remote-worker=true` and no remote protocol it refuses to start, since it could
 * then run nothing at all.
 */
export function remoteWorkerSetup(
  values: Settings,
  env: NodeJS.ProcessEnv = process.env,
): {
  restWorkers: RestWorkersOptions | undefined;
  hostLocally: boolean;
} {
  const rest = restProtocolConfig(values, env);
  const requireRemote = values['pipeline.orchestrator.control-plane.require-remote-worker'];
  if (requireRemote && !rest)
    throw new ConfigError([
      'pipeline.orchestrator.control-plane.require-remote-worker=true, but no remote worker protocol is configured: ' +
        'set pipeline.orchestrator.worker.rest.shared-secret-ref (for workers that register themselves) ' +
        'and, for workers that do not, pipeline.orchestrator.worker.rest.base-url',
    ]);
  if (rest && !rest.keys.canSign)
    throw new ConfigError([
      'pipeline.orchestrator.worker.rest: the coordinator signs its calls with the shared-secret-ref, or the key signing-key-id names',
    ]);
  const restWorkers = rest && {
    client: new SignedRestClient({
      ...rest,
      clock: systemClock,
      random: systemRandom,
      timers: systemTimers,
    }),
    baseUrls: rest.baseUrls,
    tenantId: values['pipeline.orchestrator.default-tenant'],
  };
  return { restWorkers, hostLocally: !requireRemote };
}
