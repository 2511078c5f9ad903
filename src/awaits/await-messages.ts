import { z } from 'zod';
import type { AwaitRequest } from './await-transport.ts';

// The two messages on the wire, JSON in UTF-8. Documented in docs/await-transports.md.

const id = z.string().min(1).max(200);

export const awaitRequestMessage = z.object({
  kind: z.literal('capstan.await.request'),
  interactionId: id,
  correlationId: id,
  tenantId: id,
  executionId: id,
  pipelineId: id,
  stepId: id,
  request: z.unknown(),
  deadlineAtMs: z.number().int(),
  /** Webhook only: where to POST the completion (signed, valid until the deadline). */
  callbackUrl: z.string().optional(),
});
export type AwaitRequestMessage = z.output<typeof awaitRequestMessage>;

/** A completion names its interaction by id or correlation id, within a tenant. */
export const awaitCompletionMessage = z
  .object({
    kind: z.literal('capstan.await.completion').optional(),
    tenantId: id,
    interactionId: id.optional(),
    correlationId: id.optional(),
    response: z.unknown(),
    /** Dedupes completions; defaults to the response's fingerprint. */
    idempotencyKey: z.string().min(1).max(512).optional(),
    actor: z.string().max(200).optional(),
  })
  .refine((m) => m.interactionId !== undefined || m.correlationId !== undefined, {
    message: 'one of interactionId or correlationId is required',
  })
  .refine((m) => m.response !== undefined, { message: 'response is required', path: ['response'] });
export type AwaitCompletionMessage = z.output<typeof awaitCompletionMessage>;

export function requestMessage(request: AwaitRequest, callbackUrl?: string): AwaitRequestMessage {
  return {
    kind: 'capstan.await.request',
    ...request,
    ...(callbackUrl === undefined ? {} : { callbackUrl }),
  };
}

export const encodeJson = (value: unknown): Uint8Array => Buffer.from(JSON.stringify(value), 'utf8');

/** Parses a message body with `schema`; throws a readable error for anything else. */
export function decodeJson<S extends z.ZodType>(schema: S, body: Uint8Array): z.output<S> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch {
    throw new Error('the message is not JSON');
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `the message is malformed: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim(),
    );
  }
  return parsed.data;
}
