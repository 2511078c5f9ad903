import { z } from 'zod';
import type { Wire } from './wire.ts';

/**
 * The DLQ on the wire (docs/dlq.md): its entries, newest first, and its groups by failure
 * fingerprint. Times are epoch milliseconds.
 */

export const dlqReasonSchema = z.enum([
  'retry_exhausted',
  'non_retryable',
  'await_timeout',
  'remote_outcome_unknown',
  'lease_lost_exhausted',
]);
export type DlqReasonName = Wire<typeof dlqReasonSchema>;

const fingerprint = z
  .string()
  .nullable()
  .describe('The failure fingerprint; null on executions that entered the DLQ before Capstan kept one.');

/** One execution in the DLQ. */
export const dlqEntrySchema = z.object({
  executionId: z.string(),
  pipelineId: z.string(),
  releaseVersion: z.string(),
  reason: dlqReasonSchema.nullable(),
  fingerprint,
  errorCode: z.string().nullable(),
  errorMessage: z.string().nullable(),
  stepId: z.string().nullable().describe('The step that failed; null when not known (see fingerprint).'),
  stepIndex: z.number().int(),
  attempts: z.number().int().describe('Tries of the failed step, counted across re-drives.'),
  dlqAt: z.number().int().describe('When it entered the DLQ (epoch ms).'),
});
export type DlqEntry = Wire<typeof dlqEntrySchema>;

/** `GET /tpf/admin/tenants/{tenantId}/dlq`. */
export const dlqPageSchema = z
  .object({
    items: z.array(dlqEntrySchema),
    nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null after the last.'),
  })
  .describe('A page of DLQ entries, newest first');
export type DlqPage = Wire<typeof dlqPageSchema>;

/** One group of `GET /tpf/admin/tenants/{tenantId}/dlq/groups`. */
export const dlqGroupSchema = z.object({
  fingerprint: fingerprint.describe(
    'The failure fingerprint; null groups the entries that have none, one group per pipeline.',
  ),
  pipelineId: z.string(),
  stepId: z.string().nullable(),
  errorCode: z.string().nullable(),
  reason: dlqReasonSchema
    .nullable()
    .describe("The group's reason (the greatest, should its entries differ)."),
  count: z.number().int(),
  firstAt: z.number().int().describe('When its first entry entered the DLQ (epoch ms).'),
  lastAt: z.number().int().describe('When its latest entry entered the DLQ (epoch ms).'),
  sampleExecutionId: z.string().describe("One of the group's executions."),
});
export type DlqGroup = Wire<typeof dlqGroupSchema>;

export const dlqGroupsSchema = z
  .object({ groups: z.array(dlqGroupSchema) })
  .describe('DLQ entries counted by failure fingerprint, largest group first');
export type DlqGroups = Wire<typeof dlqGroupsSchema>;
