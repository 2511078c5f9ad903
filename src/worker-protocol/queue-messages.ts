/**
 * The messages of the queue worker protocol (docs/queue-workers.md): a coordinator node puts a
 * signed command envelope on a worker group's request queue, and the worker that takes it puts
 * the signed answer on the shared reply destination, addressed to that node. Both are JSON
 * documents wrapping the same envelopes REST and gRPC carry, with the signature in fields (as
 * gRPC does), so any broker can carry them as opaque bytes.
 *
 * The signed "path" names the reply address, the correlation id and the deadline, so none of
 * them can be altered on the broker without breaking the signature: a request cannot be
 * redirected to another node nor kept alive past its deadline, and a reply cannot be passed
 * off as the answer to another request (it repeats the request's nonce, as REST answers do).
 */
import { z } from 'zod';
import type { Clock } from '../runtime/clock.ts';
import type { Random } from '../runtime/random.ts';
import type { KeyRing } from './key-ring.ts';
import type { RequestVerifier, Verification } from './request-verifier.ts';
import { requestSignature, responseSignature, responseSignatureProblem } from './signed-messages.ts';

export const QUEUE_PROTOCOL_VERSION = 1;

const text = z.string().min(1).max(512);
const signatureSchema = z.object({
  timestamp: z.string().max(64),
  nonce: z.string().max(200),
  signature: z.string().max(128),
  keyId: z.string().max(64).optional(),
});

export const queueRequestSchema = z.object({
  v: z.literal(QUEUE_PROTOCOL_VERSION),
  correlationId: text,
  /** The node id replies are addressed to. */
  replyTo: text,
  /** Epoch ms after which the node no longer waits: a worker drops the request unrun. */
  deadlineAtMs: z.number().int().nonnegative(),
  /** The command envelope's JSON text, exactly as signed. */
  command: z.string(),
  signature: signatureSchema,
  traceparent: z.string().max(256).optional(),
});
export type QueueRequest = z.output<typeof queueRequestSchema>;

export const queueReplySchema = z.object({
  v: z.literal(QUEUE_PROTOCOL_VERSION),
  correlationId: text,
  workerId: text,
  /** 200 a result envelope; 400 a command refused unrun; 503 a segment abandoned mid-way. */
  status: z.number().int(),
  /** The result envelope's JSON text, or an error body `{error: {code, message}}`. */
  body: z.string(),
  signature: signatureSchema.omit({ keyId: true }),
});
export type QueueReply = z.output<typeof queueReplySchema>;

/** What the signature of a request and of its reply covers beside the body. */
export const queueSignedPath = (m: Pick<QueueRequest, 'replyTo' | 'correlationId' | 'deadlineAtMs'>) =>
  `/queue/execute/${encodeURIComponent(m.replyTo)}/${encodeURIComponent(m.correlationId)}/${m.deadlineAtMs}`;

/** A signed request; its signature's nonce is what the reply must repeat. */
export function signQueueRequest(
  keys: KeyRing,
  time: { clock: Clock; random: Random },
  request: Omit<QueueRequest, 'v' | 'signature'>,
): QueueRequest {
  const signature = requestSignature(keys, time, {
    method: 'POST',
    path: queueSignedPath(request),
    body: request.command,
  });
  return {
    v: QUEUE_PROTOCOL_VERSION,
    ...request,
    signature: { ...signature, ...(signature.keyId === undefined ? {} : { keyId: signature.keyId }) },
  };
}

/** Checks a request's signature (and its nonce against replays) before anything of it is used. */
export function verifyQueueRequest(verifier: RequestVerifier, request: QueueRequest): Verification {
  return verifier.verifyFields({
    method: 'POST',
    path: queueSignedPath(request),
    ...request.signature,
    keyId: request.signature.keyId,
    body: request.command,
  });
}

/** The reply to a verified request, signed with the secret it was verified with, over its nonce. */
export function signQueueReply(
  secret: string,
  clock: Clock,
  request: QueueRequest,
  reply: { workerId: string; status: number; body: string },
): QueueReply {
  const { timestamp, nonce, signature } = responseSignature(secret, clock, {
    status: reply.status,
    path: queueSignedPath(request),
    requestNonce: request.signature.nonce,
    body: reply.body,
  });
  return {
    v: QUEUE_PROTOCOL_VERSION,
    correlationId: request.correlationId,
    ...reply,
    signature: { timestamp, nonce, signature },
  };
}

/** Why a reply is not the signed answer to this request, or undefined when it is. */
export function queueReplyProblem(
  keys: KeyRing,
  clock: Clock,
  toleranceMs: number,
  request: QueueRequest,
  reply: QueueReply,
): string | undefined {
  return responseSignatureProblem(keys, request.signature.keyId, clock, toleranceMs, {
    status: reply.status,
    path: queueSignedPath(request),
    requestNonce: request.signature.nonce,
    ...reply.signature,
    body: reply.body,
  });
}

/** A message body as JSON parsed by `schema`, or undefined when it is not one. */
export function parseQueueMessage<T>(schema: z.ZodType<T>, body: Uint8Array): T | undefined {
  try {
    const parsed = schema.safeParse(JSON.parse(Buffer.from(body).toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
