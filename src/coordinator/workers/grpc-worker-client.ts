import { Client, credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import type { Clock } from '../../runtime/clock.ts';
import type { Random } from '../../runtime/random.ts';
import type { TimerHandle, Timers } from '../../runtime/timers.ts';
import { ENVELOPE_ENCODING, WORKER_PROTOCOL_VERSION } from '../../worker-protocol/envelopes.ts';
import {
  capabilitiesResponseSchema,
  executeResponseSchema,
  GRPC_CAPABILITIES_PATH,
  GRPC_EXECUTE_PATH,
  GRPC_OK_SIGNING_STATUS,
  GRPC_SIGNING_METHOD,
  TransitionWorkerService,
} from '../../worker-protocol/grpc-service.ts';
import type { KeyRing } from '../../worker-protocol/key-ring.ts';
import { requestSignature, responseSignatureProblem } from '../../worker-protocol/signed-messages.ts';
import type { NoAnswer } from './remote-transition-worker.ts';

export interface GrpcWorkerClientOptions {
  readonly keys: KeyRing;
  readonly clock: Clock;
  readonly random: Random;
  readonly timers: Timers;
  /** How long the connection may take (`worker.grpc.connect-timeout`, PT2S). */
  readonly connectTimeoutMs: number;
  /** How long the whole call may take (`worker.grpc.request-timeout`, PT30S). */
  readonly requestTimeoutMs: number;
  /** The clock skew a response signature may show (`worker.grpc.signature-tolerance`). */
  readonly toleranceMs: number;
  /** The largest answer accepted (`worker.grpc.max-inbound-message-size`, 4 MiB). */
  readonly maxInboundMessageBytes: number;
}

/**
 * How a call ended, split by what the caller may conclude about the remote side (as a REST
 * call's outcome is):
 * - answered: an OK answer, signed by a holder of the request's key, over this request.
 * - status: the worker answered with an error status (what it means is the caller's call).
 * - not-sent: no connection within the connect timeout: nothing reached the worker.
 * - unknown: the request went out but no trustworthy answer came back (the deadline, a
 *   dropped connection, a bad response signature): it may have run.
 * - aborted: the caller gave up (the execution was cancelled).
 */
export type GrpcCallOutcome =
  | { readonly kind: 'answered'; readonly body: string }
  | { readonly kind: 'status'; readonly code: status; readonly details: string }
  | NoAnswer;

/** Statuses a call ends with when it never got an answer from the worker's code. */
const TRANSPORT_FAILURES = new Set([status.UNAVAILABLE, status.DEADLINE_EXCEEDED, status.CANCELLED]);

/** Each method's path, and how its answer is read: the envelope bytes and the signature fields. */
const METHODS = {
  Execute: {
    path: GRPC_EXECUTE_PATH,
    read: (response: unknown) => {
      const parsed = executeResponseSchema.safeParse(response);
      return parsed.success ? { ...parsed.data, body: parsed.data.result_envelope } : undefined;
    },
  },
  Capabilities: {
    path: GRPC_CAPABILITIES_PATH,
    read: (response: unknown) => {
      const parsed = capabilitiesResponseSchema.safeParse(response);
      return parsed.success ? { ...parsed.data, body: parsed.data.capability_envelope } : undefined;
    },
  },
} as const;

/**
 * The coordinator's side of the gRPC worker protocol: signed unary calls with a connect timeout
 * and a request timeout, both on the injected timers. Each call opens its own channel (a local
 * subchannel pool) and waits until it is connected before sending, so "no connection" is told
 * apart from "sent, then lost" just as the REST client does with a fresh connection per call;
 * the channel is closed when the call ends.
 */
export class GrpcWorkerClient {
  readonly #o: GrpcWorkerClientOptions;

  constructor(options: GrpcWorkerClientOptions) {
    this.#o = options;
  }

  call(
    endpoint: string,
    method: keyof typeof METHODS,
    request: { body?: Uint8Array; signal?: AbortSignal; traceparent?: string },
  ): Promise<GrpcCallOutcome> {
    const o = this.#o;
    const { path } = METHODS[method];
    const body = request.body ?? new Uint8Array(0);
    const signed = requestSignature(o.keys, o, { method: GRPC_SIGNING_METHOD, path, body });
    const message = {
      protocol_version: WORKER_PROTOCOL_VERSION,
      timestamp: signed.timestamp,
      nonce: signed.nonce,
      signature: signed.signature,
      key_id: signed.keyId ?? '',
      ...(method === 'Execute' ? { payload_encoding: ENVELOPE_ENCODING, command_envelope: body } : {}),
    };
    const definition = TransitionWorkerService.service[method];
    if (!definition) throw new Error(`the service has no method ${method}`);
    let client: Client;
    try {
      client = new Client(endpoint, credentials.createInsecure(), {
        'grpc.use_local_subchannel_pool': 1,
        'grpc.max_receive_message_length': o.maxInboundMessageBytes,
        // Straight to the worker, as the REST client goes: never through an http_proxy from the environment.
        'grpc.enable_http_proxy': 0,
      });
    } catch (error) {
      return Promise.resolve({ kind: 'not-sent', reason: `'${endpoint}': ${String(error)}` });
    }
    return new Promise((resolve) => {
      let sent = false;
      let settled = false;
      let cancel: (() => void) | undefined;
      const timers: TimerHandle[] = [];
      const finish = (outcome: GrpcCallOutcome): void => {
        if (settled) return;
        settled = true;
        for (const timer of timers) o.timers.clearTimeout(timer);
        request.signal?.removeEventListener('abort', onAbort);
        cancel?.();
        client.close();
        resolve(outcome);
      };
      const fail = (reason: string): void =>
        finish(sent ? { kind: 'unknown', reason } : { kind: 'not-sent', reason });
      const onAbort = (): void => finish({ kind: 'aborted' });

      timers.push(
        o.timers.setTimeout(() => {
          if (!sent) fail(`no connection to ${endpoint} within ${o.connectTimeoutMs} ms`);
        }, o.connectTimeoutMs),
        o.timers.setTimeout(
          () => fail(`no answer from ${endpoint} within ${o.requestTimeoutMs} ms`),
          o.requestTimeoutMs,
        ),
      );
      if (request.signal?.aborted) return onAbort();
      request.signal?.addEventListener('abort', onAbort, { once: true });
      client.waitForReady(Infinity, (error) => {
        if (settled) return;
        if (error) return fail(`no connection to ${endpoint}: ${error.message}`);
        // From here the worker may act on the request, whatever happens to the answer.
        sent = true;
        const metadata = new Metadata();
        if (request.traceparent !== undefined) metadata.set('traceparent', request.traceparent);
        const call = client.makeUnaryRequest(
          path,
          definition.requestSerialize,
          definition.responseDeserialize,
          message,
          metadata,
          (failure: ServiceError | null, response?: unknown) =>
            finish(
              failure ? this.#failed(failure) : this.#answered(method, signed.nonce, signed.keyId, response),
            ),
        );
        cancel = () => call.cancel();
      });
    });
  }

  #failed(failure: ServiceError): GrpcCallOutcome {
    const reason = `${status[failure.code] ?? failure.code}: ${failure.details}`;
    return TRANSPORT_FAILURES.has(failure.code)
      ? { kind: 'unknown', reason }
      : { kind: 'status', code: failure.code, details: failure.details };
  }

  #answered(
    method: keyof typeof METHODS,
    requestNonce: string,
    keyId: string | undefined,
    response: unknown,
  ): GrpcCallOutcome {
    const { path, read } = METHODS[method];
    const message = read(response);
    if (!message) return { kind: 'unknown', reason: 'the answer is not the expected message' };
    const { body } = message;
    const problem = responseSignatureProblem(this.#o.keys, keyId, this.#o.clock, this.#o.toleranceMs, {
      status: GRPC_OK_SIGNING_STATUS,
      path,
      requestNonce,
      timestamp: message.timestamp,
      nonce: message.nonce,
      signature: message.signature,
      body,
    });
    if (problem) return { kind: 'unknown', reason: problem };
    return { kind: 'answered', body: Buffer.from(body).toString('utf8') };
  }
}
