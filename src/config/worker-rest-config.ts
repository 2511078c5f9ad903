import type { Settings } from './settings.ts';
import { protocolCommon, targetList, type ProtocolCommon } from './worker-protocol-keys.ts';

const P = 'pipeline.orchestrator.worker.rest.';

/** The REST worker protocol as configured: the same keys on coordinators and workers. */
export interface RestProtocolConfig extends ProtocolCommon {
  /** Workers the coordinator calls without their registering first. */
  readonly baseUrls: readonly string[];
}

/**
 * Resolves the REST protocol's secrets (refs only, read once at start) and timeouts.
 * Undefined when no secret is configured: then nothing can be signed or verified, so no REST
 * worker can be called or served. Every problem is reported at once, as a ConfigError.
 */
export function restProtocolConfig(
  values: Settings,
  env: NodeJS.ProcessEnv = process.env,
): RestProtocolConfig | undefined {
  const baseUrls = targetList(values[`${P}base-url`]);
  const common = protocolCommon(values, P, env, baseUrls.length > 0 ? `${P}base-url` : undefined);
  return common && { ...common, baseUrls };
}
