import {
  Server,
  ServerCredentials,
  status,
  type sendUnaryData,
  type ServerUnaryCall,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import type { Logger } from '../runtime/logger.ts';
import type { Clock } from '../runtime/clock.ts';
import { ENVELOPE_ENCODING, WORKER_PROTOCOL_VERSION } from '../worker-protocol/envelopes.ts';
import {
  capabilitiesRequestSchema,
  executeRequestSchema,
  GRPC_CAPABILITIES_PATH,
  GRPC_EXECUTE_PATH,
  GRPC_OK_SIGNING_STATUS,
  GRPC_SIGNING_METHOD,
  TransitionWorkerService,
  type CapabilitiesResponse,
  type ExecuteResponse,
} from '../worker-protocol/grpc-service.ts';
import type { KeyRing } from '../worker-protocol/key-ring.ts';
import type { RequestVerifier } from '../worker-protocol/request-verifier.ts';
import { responseSignature } from '../worker-protocol/signed-messages.ts';
import { executeTransition } from './execute-transition.ts';
import type { Tracing } from '../tracing/tracing.ts';
import { traceparentOf } from './worker-span.ts';
import type { HostedReleases } from './hosted-releases.ts';
import { capabilityOf } from './worker-capability.ts';

export interface GrpcWorkerServerOptions {
  readonly hosted: HostedReleases;
  /** The worker's id, known once its servers listen (its default includes a port). */
  readonly workerId: () => string;
  readonly keys: KeyRing;
  readonly verifier: RequestVerifier;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The largest request accepted (`worker.grpc.max-inbound-message-size`, 4 MiB). */
  readonly maxInboundMessageBytes?: number;
  /** The remote protocols this worker serves, as its capabilities list them. */
  readonly servedProtocols?: readonly ('rest' | 'grpc')[];
  /** How long one try of a step without its own `timeout` may run (`capstan.step-timeout`). */
  readonly stepTimeoutMs?: number;
  /** The worker's spans, continuing the caller's trace; none when absent or disabled. */
  readonly tracing?: Tracing;
}

export interface GrpcWorkerServer {
  /** Binds plaintext on `host:port` (port 0 picks a free one) and returns the bound port. */
  listen(host: string, port: number): Promise<number>;
  /** Refuses new calls, then waits for the running segments to finish. */
  close(): Promise<void>;
}

/** A refusal sent as a gRPC status (TPF's mapping, docs/worker-protocol.md#grpc). */
class Refusal extends Error {
  readonly code: status;
  constructor(code: status, message: string) {
    super(message);
    this.code = code;
  }
}

/**
 * The worker's gRPC surface: `TransitionWorkerService { Execute, Capabilities }` carrying the
 * same envelopes as REST, with the same checks in the same order. The request message is
 * checked against its schema, then its signature (fields of the message, METHOD `GRPC`, the
 * full method path, the envelope bytes) before the envelope is parsed: a bad signature is
 * UNAUTHENTICATED and nothing runs. A malformed request or protocol version is
 * INVALID_ARGUMENT; anything unexpected INTERNAL. Every OK answer is signed with the key the
 * request used, over the request's nonce, in Capstan's response fields.
 */
export function createGrpcWorkerServer(options: GrpcWorkerServerOptions): GrpcWorkerServer {
  const { hosted, keys, verifier, clock, logger } = options;
  const served = options.servedProtocols ?? ['grpc'];
  const server = new Server({
    'grpc.max_receive_message_length': options.maxInboundMessageBytes ?? 4 * 1024 * 1024,
  });

  /** Verifies a request's signature and protocol fields; throws the refusal otherwise. */
  const verified = (
    path: string,
    request: {
      protocol_version: string;
      timestamp: string;
      nonce: string;
      signature: string;
      key_id: string;
    },
    body: Uint8Array,
    peer: string,
  ) => {
    const verification = verifier.verifyFields({
      method: GRPC_SIGNING_METHOD,
      path,
      timestamp: request.timestamp,
      nonce: request.nonce,
      signature: request.signature,
      keyId: request.key_id,
      body,
    });
    if (!verification.ok) {
      logger.warn({ path, reason: verification.reason, remote: peer }, 'worker call refused');
      // A full replay cache is no verdict on the caller: nothing ran, it may try again later.
      throw new Refusal(
        verification.status === 401 ? status.UNAUTHENTICATED : status.RESOURCE_EXHAUSTED,
        verification.reason,
      );
    }
    if (request.protocol_version !== WORKER_PROTOCOL_VERSION)
      throw new Refusal(
        status.INVALID_ARGUMENT,
        `unsupported protocol version '${request.protocol_version}'; this worker speaks ${WORKER_PROTOCOL_VERSION}`,
      );
    return verification;
  };
  const signed = (call: { keyId: string | undefined; nonce: string }, path: string, body: Uint8Array) => {
    const secret = keys.secretFor(call.keyId) ?? '';
    const { timestamp, nonce, signature } = responseSignature(secret, clock, {
      status: GRPC_OK_SIGNING_STATUS,
      path,
      requestNonce: call.nonce,
      body,
    });
    return {
      protocol_version: WORKER_PROTOCOL_VERSION,
      payload_encoding: ENVELOPE_ENCODING,
      timestamp,
      nonce,
      signature,
    };
  };

  const execute = async (call: ServerUnaryCall<unknown, unknown>): Promise<ExecuteResponse> => {
    const request = executeRequestSchema.safeParse(call.request);
    if (!request.success) throw new Refusal(status.INVALID_ARGUMENT, 'not a TransitionWorkerRequest');
    const r = request.data;
    const verification = verified(GRPC_EXECUTE_PATH, r, r.command_envelope, call.getPeer());
    if (r.payload_encoding !== ENVELOPE_ENCODING)
      throw new Refusal(
        status.INVALID_ARGUMENT,
        `unsupported payload encoding '${r.payload_encoding}'; expected ${ENVELOPE_ENCODING}`,
      );
    let raw: unknown;
    try {
      raw = JSON.parse(Buffer.from(r.command_envelope).toString('utf8'));
    } catch {
      throw new Refusal(status.INVALID_ARGUMENT, 'invalid_json: the command is not valid JSON');
    }
    // A caller that goes away (its deadline, its cancel) aborts the segment between steps.
    const abort = new AbortController();
    call.once('cancelled', () => abort.abort());
    const answer = await executeTransition(raw, hosted, abort.signal, {
      stepTimeoutMs: options.stepTimeoutMs,
      ...(options.tracing?.enabled
        ? {
            tracing: { tracing: options.tracing, workerId: options.workerId },
            traceparent: traceparentOf(call.metadata.get('traceparent')[0]),
          }
        : {}),
    });
    switch (answer.kind) {
      case 'result': {
        const { executionId, transitionKey, envelope } = answer;
        logger.debug({ executionId, transitionKey, outcome: envelope.outcome }, 'transition');
        const body = Buffer.from(JSON.stringify(envelope));
        return { ...signed(verification, GRPC_EXECUTE_PATH, body), result_envelope: body };
      }
      case 'invalid':
        throw new Refusal(status.INVALID_ARGUMENT, `${answer.code}: ${answer.message}`);
      case 'abandoned':
        throw new Refusal(status.CANCELLED, 'segment_abandoned: the caller went away mid-segment');
    }
  };

  const capabilities = (call: ServerUnaryCall<unknown, unknown>): CapabilitiesResponse => {
    const request = capabilitiesRequestSchema.safeParse(call.request);
    if (!request.success)
      throw new Refusal(status.INVALID_ARGUMENT, 'not a TransitionWorkerCapabilitiesRequest');
    const empty = new Uint8Array(0);
    const verification = verified(GRPC_CAPABILITIES_PATH, request.data, empty, call.getPeer());
    const capability = capabilityOf(hosted, options.workerId(), 'grpc', served);
    const body = Buffer.from(JSON.stringify(capability));
    return { ...signed(verification, GRPC_CAPABILITIES_PATH, body), capability_envelope: body };
  };

  /** Answers a call: the handler's message, or its refusal (anything else is INTERNAL). */
  const answer =
    <T>(handler: (call: ServerUnaryCall<unknown, unknown>) => T | Promise<T>) =>
    (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<T>): void => {
      Promise.resolve()
        .then(() => handler(call))
        .then(
          (message) => callback(null, message),
          (error: unknown) => {
            if (error instanceof Refusal) return callback({ code: error.code, details: error.message });
            logger.error({ err: error }, 'gRPC worker call failed');
            callback({ code: status.INTERNAL, details: 'internal error' });
          },
        );
    };
  const implementation: UntypedServiceImplementation = {
    Execute: answer(execute),
    Capabilities: answer(capabilities),
  };
  server.addService(TransitionWorkerService.service, implementation);

  return {
    listen: (host, port) =>
      new Promise((resolve, reject) => {
        const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
        server.bindAsync(address, ServerCredentials.createInsecure(), (error, bound) =>
          error ? reject(error) : resolve(bound),
        );
      }),
    close: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
  };
}
