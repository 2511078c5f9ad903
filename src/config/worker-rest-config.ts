import type { KeyRing } from '../worker-protocol/key-ring.ts';
import { parseIsoDuration } from '../util/iso-duration.ts';
import { ConfigError } from './load-config.ts';
import type { Settings } from './settings.ts';
import { hasProtocolSecret, protocolKeys } from './worker-protocol-keys.ts';

const P = 'pipeline.orchestrator.worker.rest.';

/** The REST worker protocol as configured: the same keys on coordinators and workers. */
export interface RestProtocolConfig {
  readonly keys: KeyRing;
  readonly toleranceMs: number;
  readonly connectTimeoutMs: number;
  readonly requestTimeoutMs: number;
  /** Workers the coordinator calls without their registering first. */
  readonly baseUrls: readonly string[];
}

const ms = (iso: string): number => parseIsoDuration(iso) ?? 0;

/**
 * Resolves the REST protocol's secrets (refs only, read once at start) and timeouts.
 * Undefined when no secret is configured: then nothing can be signed or verified, so no REST
 * worker can be called or served. Every problem is reported at once, as a ConfigError.
 */
export function restProtocolConfig(
  values: Settings,
  env: NodeJS.ProcessEnv = process.env,
): RestProtocolConfig | undefined {
  const problems: string[] = [];
  const ring = protocolKeys(values, P, env, problems);
  const baseUrls = values[`${P}base-url`]
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
  if (!hasProtocolSecret(values, P) && baseUrls.length > 0)
    problems.push(
      `${P}base-url is set, but no ${P}shared-secret-ref (or ${P}secret-refs) to sign calls with`,
    );
  if (problems.length > 0) throw new ConfigError(problems);
  if (!ring) return undefined;
  return {
    keys: ring,
    toleranceMs: ms(values[`${P}signature-tolerance`]),
    connectTimeoutMs: ms(values[`${P}connect-timeout`]),
    requestTimeoutMs: ms(values[`${P}request-timeout`]),
    baseUrls,
  };
}
