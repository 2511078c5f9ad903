import { z } from 'zod';
import type { Wire } from './wire.ts';

/** The await inbox on the wire (TPF's `AwaitInteractionDto` and its completion answer). */

export const interactionSchema = z.object({
  interactionId: z.string(),
  correlationId: z.string(),
  executionId: z.string(),
  stepId: z.string(),
  stepIndex: z.number().int(),
  status: z
    .string()
    .describe(
      'WAITING while open; COMPLETED, TIMED_OUT or CANCELLED. (ADMISSION_WAITING, held back by an admission budget, is never pending.)',
    ),
  requestPayload: z.unknown(),
  assignee: z.string().nullable(),
  group: z.string().nullable(),
  transportType: z.string(),
  transportMetadata: z.record(z.string(), z.unknown()),
  deadlineEpochMs: z.number().int(),
  createdAtEpochMs: z.number().int(),
  updatedAtEpochMs: z.number().int(),
});
export type Interaction = Wire<typeof interactionSchema>;
export const interactionsSchema = z.array(interactionSchema).describe('Pending interactions');

/** `POST …/interactions/complete`. */
export const completionSchema = z
  .object({
    interactionId: z.string(),
    executionId: z.string(),
    stepId: z.string(),
    status: z.string(),
    duplicate: z.boolean().describe('True when the same completion had already been accepted.'),
  })
  .describe('The completed interaction');
export type Completion = Wire<typeof completionSchema>;

/** `POST /api/awaits/…/callback`: the webhook transport's completion (no step id: the URL named the interaction). */
export const callbackCompletionSchema = completionSchema.omit({ stepId: true });
export type CallbackCompletion = Wire<typeof callbackCompletionSchema>;

/** `GET …/awaits/admission`: each await step's admission budget in use, its requests out and its queue. */
export const awaitAdmissionSchema = z
  .array(
    z.object({
      pipelineId: z.string(),
      stepId: z.string(),
      limit: z.number().int().describe('The budget: at most this many interactions outstanding at once.'),
      outstanding: z.number().int().describe('Interactions admitted (request out) and not yet ended.'),
      waiting: z.number().int().describe('Interactions ADMISSION_WAITING, admitted oldest first.'),
    }),
  )
  .describe('Await admission budgets by pipeline and step');
export type AwaitAdmission = Wire<typeof awaitAdmissionSchema>;
