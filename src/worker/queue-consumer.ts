import type { SegmentQueueLink } from '../brokers/segment-queue-link.ts';
import type { Verdict } from '../brokers/delivery.ts';
import { errorCatalog, type ErrorCode } from '../errors/catalog.ts';
import type { Clock } from '../runtime/clock.ts';
import type { Logger } from '../runtime/logger.ts';
import type { Timers } from '../runtime/timers.ts';
import type { Tracing } from '../tracing/tracing.ts';
import type { KeyRing } from '../worker-protocol/key-ring.ts';
import {
  parseQueueMessage,
  queueRequestSchema,
  signQueueReply,
  verifyQueueRequest,
  type QueueRequest,
} from '../worker-protocol/queue-messages.ts';
import type { RequestVerifier } from '../worker-protocol/request-verifier.ts';
import { executeTransition } from './execute-transition.ts';
import type { HostedReleases } from './hosted-releases.ts';
import { traceparentOf } from './worker-span.ts';

export interface QueueConsumerOptions {
  readonly link: SegmentQueueLink;
  /** The request queue this worker's group consumes: what it registers as its endpoint. */
  readonly group: string;
  readonly hosted: HostedReleases;
  readonly keys: KeyRing;
  readonly verifier: RequestVerifier;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly logger: Logger;
  readonly workerId: () => string;
  readonly stepTimeoutMs?: number | undefined;
  readonly tracing?: Tracing | undefined;
}

const errorText = (code: ErrorCode, message: string) => JSON.stringify({ error: { code, message } });

/**
 * The queue worker protocol, the worker's side (docs/queue-workers.md): takes signed segment
 * requests from its group's request queue, competing with the group's other workers, runs each
 * with the same executor as REST and gRPC, and publishes the signed answer to the node the
 * request names. A request is acknowledged once its reply is published (or once it is known
 * that no reply can help), so a worker killed mid-segment leaves it to the broker to deliver
 * again; one delivered after its deadline is dropped unrun, since its node no longer waits.
 */
export async function consumeSegmentQueue(o: QueueConsumerOptions): Promise<void> {
  await o.link.consumeRequests(o.group, (body) => handle(o, body));
}

async function handle(o: QueueConsumerOptions, body: Uint8Array): Promise<Verdict> {
  const request = parseQueueMessage(queueRequestSchema, body);
  if (!request) {
    o.logger.warn({ queue: o.group }, 'queue message is not a segment request; dropped');
    return 'ack';
  }
  const ids = { correlationId: request.correlationId, replyTo: request.replyTo };
  const verification = verifyQueueRequest(o.verifier, request);
  if (!verification.ok) {
    // A full replay cache refuses a key holder's request for now: it may be taken again later.
    if (verification.status === 503) return 'retry';
    // Unproven: nothing of it is trusted, not even where to reply.
    o.logger.warn({ ...ids, reason: verification.reason }, 'queue request refused');
    return 'ack';
  }
  if (o.clock.now() > request.deadlineAtMs) {
    o.logger.info(ids, 'queue request past its deadline; dropped unrun (its node no longer waits)');
    return 'ack';
  }
  const secret = o.keys.secretFor(verification.keyId) ?? '';
  const reply = await answer(o, request);
  const signed = signQueueReply(secret, o.clock, request, { workerId: o.workerId(), ...reply });
  try {
    // Its own message id: a broker that deduplicates by id (JetStream) must not take the
    // reply for a repeat of its request, which carries the correlation id as its id.
    const messageId = `${request.correlationId}.reply`;
    await o.link.publishReply(request.replyTo, Buffer.from(JSON.stringify(signed)), messageId);
  } catch (error) {
    // Running it again would not help the node more: it times out and its policy decides.
    o.logger.error({ ...ids, err: error }, 'queue reply could not be published');
  }
  return 'ack';
}

/** The request's answer as REST would give it: status and body. */
async function answer(
  o: QueueConsumerOptions,
  request: QueueRequest,
): Promise<{ status: number; body: string }> {
  let raw: unknown;
  try {
    raw = JSON.parse(request.command);
  } catch {
    return { status: 400, body: errorText('invalid_json', 'The command is not valid JSON.') };
  }
  // The node stops waiting at the deadline: a segment still running then stops between steps.
  const abort = new AbortController();
  const timer = o.timers.setTimeout(() => abort.abort(), request.deadlineAtMs - o.clock.now());
  try {
    const result = await executeTransition(raw, o.hosted, abort.signal, {
      stepTimeoutMs: o.stepTimeoutMs,
      ...(o.tracing?.enabled
        ? {
            tracing: { tracing: o.tracing, workerId: o.workerId },
            traceparent: traceparentOf(request.traceparent),
          }
        : {}),
    });
    switch (result.kind) {
      case 'result':
        o.logger.debug(
          {
            executionId: result.executionId,
            transitionKey: result.transitionKey,
            outcome: result.envelope.outcome,
            replyTo: request.replyTo,
          },
          'transition',
        );
        return { status: 200, body: JSON.stringify(result.envelope) };
      case 'invalid':
        return { status: 400, body: errorText(result.code, result.message) };
      case 'abandoned':
        return {
          status: 503,
          body: errorText('segment_abandoned', errorCatalog.segment_abandoned.message),
        };
    }
  } finally {
    o.timers.clearTimeout(timer);
  }
}
