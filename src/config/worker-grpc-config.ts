import type { Settings } from './settings.ts';
import { protocolCommon, targetList, type ProtocolCommon } from './worker-protocol-keys.ts';

const P = 'pipeline.orchestrator.worker.grpc.';

/** The gRPC worker protocol as configured: the same keys on coordinators and workers. */
export interface GrpcProtocolConfig extends ProtocolCommon {
  /** The largest message this side accepts (`max-inbound-message-size`, 4 MiB). */
  readonly maxInboundMessageBytes: number;
  /** Workers the coordinator calls without their registering first (`host:port`). */
  readonly endpoints: readonly string[];
}

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
  const endpoints = targetList(values[`${P}endpoint`]);
  const usedBy =
    endpoints.length > 0 ? `${P}endpoint` : values[`${P}server-enabled`] ? `${P}server-enabled` : undefined;
  const tls = values[`${P}plaintext`]
    ? []
    : [
        `${P}plaintext=false: TLS for the gRPC worker protocol is not implemented (grpc_tls_unsupported); ` +
          'use plaintext=true on a private network (every message is signed, not encrypted), or the REST protocol over https',
      ];
  const common = protocolCommon(values, P, env, usedBy, tls);
  return common && { ...common, maxInboundMessageBytes: values[`${P}max-inbound-message-size`], endpoints };
}
