import { KeyRing } from '../worker-protocol/key-ring.ts';
import { parseIsoDuration } from '../util/iso-duration.ts';
import { ConfigError } from '../errors/config-error.ts';
import { resolveSecretRef } from './secret-ref.ts';
import type { Settings } from './settings.ts';

/** The prefix of a worker protocol's keys; each protocol has its own secrets, as in TPF. */
export type ProtocolPrefix =
  | 'pipeline.orchestrator.worker.rest.'
  | 'pipeline.orchestrator.worker.grpc.'
  | 'pipeline.orchestrator.worker.queue.';

/**
 * Resolves a worker protocol's secrets (refs only, read once at start): the default key
 * (`shared-secret-ref`), more keys by id (`secret-refs`) and the key this side signs with
 * (`signing-key-id`). Undefined when no secret is configured. Problems are appended to
 * `problems`, so a caller can report them with its own.
 */
export function protocolKeys(
  values: Settings,
  prefix: ProtocolPrefix,
  env: NodeJS.ProcessEnv,
  problems: string[],
): KeyRing | undefined {
  const P = prefix;
  const before = problems.length;
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
  const configured = defaultRef !== undefined || keys.size > 0;
  if (!configured || problems.length > before) return undefined;
  try {
    return new KeyRing({ defaultSecret, keys, signingKeyId: values[`${P}signing-key-id`] });
  } catch (error) {
    problems.push(`${P}signing-key-id / ${P}secret-refs: ${(error as Error).message}`);
    return undefined;
  }
}

/** Whether a protocol has any secret configured (resolvable or not). */
export const hasProtocolSecret = (values: Settings, prefix: ProtocolPrefix): boolean =>
  values[`${prefix}shared-secret-ref`] !== undefined || values[`${prefix}secret-refs`].trim() !== '';

/** What every worker protocol's configuration has, whatever carries it. */
export interface ProtocolCommon {
  readonly keys: KeyRing;
  readonly toleranceMs: number;
  readonly connectTimeoutMs: number;
  readonly requestTimeoutMs: number;
}

/** A comma-separated list of targets (`base-url`, `endpoint`), blanks dropped. */
export const targetList = (value: string): string[] =>
  value
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);

/**
 * Resolves a protocol's secrets and timings. `usedBy` names the setting that puts the protocol
 * to use (targets listed, a server enabled), if one is set: without a secret that is a problem,
 * since a worker protocol is never used unsigned. `more` are the caller's own problems. Every
 * problem is thrown at once, as a ConfigError; undefined when no secret is configured.
 */
export function protocolCommon(
  values: Settings,
  prefix: ProtocolPrefix,
  env: NodeJS.ProcessEnv,
  usedBy: string | undefined,
  more: readonly string[] = [],
): ProtocolCommon | undefined {
  const P = prefix;
  const problems: string[] = [];
  const keys = protocolKeys(values, P, env, problems);
  if (usedBy && !hasProtocolSecret(values, P))
    problems.push(
      `${usedBy} is set, but no ${P}shared-secret-ref (or ${P}secret-refs): ` +
        'the worker protocol is never used unsigned',
    );
  problems.push(...more);
  if (problems.length > 0) throw new ConfigError(problems);
  if (!keys) return undefined;
  const ms = (iso: string): number => parseIsoDuration(iso) ?? 0;
  return {
    keys,
    toleranceMs: ms(values[`${P}signature-tolerance`]),
    connectTimeoutMs: ms(values[`${P}connect-timeout`]),
    requestTimeoutMs: ms(values[`${P}request-timeout`]),
  };
}
