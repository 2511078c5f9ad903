import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from '../runtime/logger.ts';
import { errorCatalog, type ErrorCode } from '../errors/catalog.ts';
import {
  clientErrorHandler,
  errorBody,
  frameworkErrors,
  installErrorReplies,
} from '../errors/http-error-replies.ts';
import type { Clock } from '../runtime/clock.ts';
import { CAPABILITIES_PATH, EXECUTE_PATH } from '../worker-protocol/envelopes.ts';
import type { KeyRing } from '../worker-protocol/key-ring.ts';
import type { RequestVerifier } from '../worker-protocol/request-verifier.ts';
import { signResponse } from '../worker-protocol/signed-messages.ts';
import { executeTransition } from './execute-transition.ts';
import type { Tracing } from '../tracing/tracing.ts';
import { traceparentOf } from './worker-span.ts';
import type { HostedReleases } from './hosted-releases.ts';
import { capabilityOf } from './worker-capability.ts';

export interface RestWorkerServerOptions {
  readonly hosted: HostedReleases;
  /** The worker's id, known once the server listens (its default includes the port). */
  readonly workerId: () => string;
  readonly keys: KeyRing;
  readonly verifier: RequestVerifier;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly bodyLimitBytes?: number;
  /** The remote protocols this worker serves, as its capabilities list them; default REST only. */
  readonly servedProtocols?: readonly ('rest' | 'grpc')[];
  /** How long one try of a step without its own `timeout` may run (`capstan.step-timeout`). */
  readonly stepTimeoutMs?: number;
  /** The worker's spans, continuing the caller's trace; none when absent or disabled. */
  readonly tracing?: Tracing;
}

const errorText = (code: ErrorCode, message: string) => JSON.stringify(errorBody(code, message));

/**
 * The worker's REST surface (docs/worker-protocol.md#rest): `POST /pipeline/worker/transitions/execute`
 * and `GET /pipeline/worker/capabilities`, both signed. The signature is checked over the raw
 * body before it is parsed; a bad or missing one is a 401 and nothing runs. Every answer to a
 * verified request is signed with the key the request used, over the request's nonce.
 * `/q/health/live` answers without a signature, for probes.
 */
export function createRestWorkerServer(options: RestWorkerServerOptions): FastifyInstance {
  const { hosted, keys, verifier, clock, logger } = options;
  const served = options.servedProtocols ?? ['rest'];
  const app = Fastify({
    logger: false,
    bodyLimit: options.bodyLimitBytes ?? 16 * 1024 * 1024,
    frameworkErrors,
    clientErrorHandler,
  });
  // Refusals the framework makes (an oversized body, a bad URL) answer in the catalogue shape too.
  installErrorReplies(app, (error, request) =>
    logger.error(
      { err: error, method: request.method, url: request.url },
      'unhandled error in worker request',
    ),
  );
  // Raw bytes for every media type: the signature covers the body exactly as sent.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  const sendSigned = (
    reply: FastifyReply,
    call: { keyId: string | undefined; nonce: string; path: string },
    status: number,
    text: string,
  ) => {
    const secret = keys.secretFor(call.keyId) ?? '';
    const headers = signResponse(secret, clock, {
      status,
      path: call.path,
      requestNonce: call.nonce,
      body: text,
    });
    return reply.code(status).headers(headers).type('application/json').send(text);
  };
  /** Verifies the request; on failure the refusal is sent and undefined returned. */
  const verified = (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0] ?? '';
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const verification = verifier.verify({ method: request.method, path, headers: request.headers, body });
    if (verification.ok) return { ...verification, path, body };
    logger.warn({ path, reason: verification.reason, remote: request.ip }, 'worker call refused');
    // Nothing ran either way. A key holder's request refused for a full replay cache gets a
    // signed refusal (the caller may retry at once); an unproven caller cannot be answered
    // with a signature, so to the coordinator that refusal is an unknown outcome.
    if (verification.status === 503)
      void sendSigned(
        reply,
        { ...verification, path },
        503,
        errorText('replay_cache_full', verification.reason),
      );
    else void reply.code(401).type('application/json').send(errorText('unauthorized', verification.reason));
    return undefined;
  };

  app.get('/q/health/live', async () => ({ status: 'UP', checks: [] }));

  app.get(CAPABILITIES_PATH, async (request, reply) => {
    const call = verified(request, reply);
    if (!call) return reply;
    return sendSigned(
      reply,
      call,
      200,
      JSON.stringify(capabilityOf(hosted, options.workerId(), 'rest', served)),
    );
  });

  app.post(EXECUTE_PATH, async (request, reply) => {
    const call = verified(request, reply);
    if (!call) return reply;
    let raw: unknown;
    try {
      raw = JSON.parse(call.body.toString('utf8'));
    } catch {
      return sendSigned(reply, call, 400, errorText('invalid_json', 'The command is not valid JSON.'));
    }
    // A caller that goes away (its request timeout) aborts the segment between steps.
    const abort = new AbortController();
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished) abort.abort();
    });
    const answer = await executeTransition(raw, hosted, abort.signal, {
      stepTimeoutMs: options.stepTimeoutMs,
      ...(options.tracing?.enabled
        ? {
            tracing: { tracing: options.tracing, workerId: options.workerId },
            traceparent: traceparentOf(request.headers.traceparent),
          }
        : {}),
    });
    if (answer.kind === 'result') {
      const { executionId, transitionKey, envelope } = answer;
      logger.debug({ executionId, transitionKey, outcome: envelope.outcome }, 'transition');
    }
    switch (answer.kind) {
      case 'result':
        return sendSigned(reply, call, 200, JSON.stringify(answer.envelope));
      case 'invalid':
        return sendSigned(reply, call, 400, errorText(answer.code, answer.message));
      case 'abandoned':
        return sendSigned(
          reply,
          call,
          503,
          errorText('segment_abandoned', errorCatalog.segment_abandoned.message),
        );
    }
  });
  return app;
}
