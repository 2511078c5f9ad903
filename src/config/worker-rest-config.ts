import { KeyRing } from '../worker-protocol/key-ring.ts';
import { parseIsoDuration } from '../util/iso-duration.ts';
import { ConfigError } from './load-config.ts';
import { resolveSecretRef } from './secret-ref.ts';
import type { Settings } from './settings.ts';

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
  const resolve = (key: string, ref: string): string | undefined => {
    try {
      return resolveSecretRef(ref, env);
    } catch (error) {
      problems.push(`${key}: ${(error as Error).message}`);
      return undefined;
    }
  };
  const defaultRef = values[`${P}shared-secret-ref`];
  const defaultSecret = defaultRef ? resolve(`${P}shared-secret-ref`, defaultRef) : undefined;
  const keys = new Map<string, string>();
  for (const pair of values[`${P}secret-refs`].split(',').filter((p) => p.trim())) {
    const eq = pair.indexOf('=');
    const keyId = pair.slice(0, eq).trim();
    const secret = resolve(`${P}secret-refs (${keyId})`, pair.slice(eq + 1).trim());
    if (secret !== undefined) keys.set(keyId, secret);
  }
  const baseUrls = values[`${P}base-url`]
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
  const configured = defaultRef !== undefined || keys.size > 0;
  if (!configured && baseUrls.length > 0)
    problems.push(
      `${P}base-url is set, but no ${P}shared-secret-ref (or ${P}secret-refs) to sign calls with`,
    );
  let ring: KeyRing | undefined;
  if (configured && problems.length === 0) {
    try {
      ring = new KeyRing({ defaultSecret, keys, signingKeyId: values[`${P}signing-key-id`] });
    } catch (error) {
      problems.push(`${P}signing-key-id / ${P}secret-refs: ${(error as Error).message}`);
    }
  }
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
