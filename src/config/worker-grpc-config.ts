import type { KeyRing } from '../worker-protocol/key-ring.ts';
import { parseIsoDuration } from '../util/iso-duration.ts';
import { ConfigError } from './load-config.ts';
import type { Settings } from './settings.ts';
import { hasProtocolSecret, protocolKeys } from './worker-protocol-keys.ts';

const P = 'pipeline.orchestrator.worker.grpc.';

/** The gRPC worker protocol as configured: the same keys on coordinators and workers. */
export interface GrpcProtocolConfig {
  readonly keys: KeyRing;
  readonly toleranceMs: number;
  readonly connectTimeoutMs: number;
  readonly requestTimeoutMs: number;
  /** The largest message this side accepts (`max-inbound-message-size`, 4 MiB). */
  readonly maxInboundMessageBytes: number;
  /** Workers the coordinator calls without their registering first (`host:port`). */
  readonly endpoints: readonly string[];
}

const ms = (iso: string): number => parseIsoDuration(iso) ?? 0;

/**
 * Resolves the gRPC protocol's secrets and limits, as `restProtocolConfig` does for REST.
 * Undefined when no gRPC secret is configured. `plaintext=false` (TLS) is refused: it is not
 * implemented, and silently talking plaintext to a worker the operator meant to reach over
 * TLS would be worse than not starting. Every problem is reported at once, as a ConfigError.
 */
export function grpcProtocolConfig(
  values: Settings,
  env: NodeJS.ProcessEnv = process.env,
): GrpcProtocolConfig | undefined {
  const problems: string[] = [];
  const ring = protocolKeys(values, P, env, problems);
  const endpoints = values[`${P}endpoint`]
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  if (!hasProtocolSecret(values, P) && (endpoints.length > 0 || values[`${P}server-enabled`]))
    problems.push(
      `${endpoints.length > 0 ? `${P}endpoint` : `${P}server-enabled`} is set, but no ${P}shared-secret-ref ` +
        `(or ${P}secret-refs): the gRPC worker protocol is never used unsigned`,
    );
  if (!values[`${P}plaintext`])
    problems.push(
      `${P}plaintext=false: TLS for the gRPC worker protocol is not implemented (grpc_tls_unsupported); ` +
        'use plaintext=true on a private network (every message is signed, not encrypted), or the REST protocol over https',
    );
  if (problems.length > 0) throw new ConfigError(problems);
  if (!ring) return undefined;
  return {
    keys: ring,
    toleranceMs: ms(values[`${P}signature-tolerance`]),
    connectTimeoutMs: ms(values[`${P}connect-timeout`]),
    requestTimeoutMs: ms(values[`${P}request-timeout`]),
    maxInboundMessageBytes: values[`${P}max-inbound-message-size`],
    endpoints,
  };
}
