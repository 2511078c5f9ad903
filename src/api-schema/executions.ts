import { z } from 'zod';
import type { Wire } from './wire.ts';

/**
 * Executions on the wire: what the control plane answers about them (TPF's fields, plus
 * Capstan's). Times are epoch milliseconds. The server's DTOs are typed by these schemas, the
 * OpenAPI document describes them, and `capstan/client` exposes their inferred types.
 */

export const executionStatusNameSchema = z.enum([
  'QUEUED',
  'RUNNING',
  'WAITING_EXTERNAL',
  'WAIT_RETRY',
  'WAITING_ITEMS',
  'SUCCEEDED',
  'FAILED',
  'DLQ',
  'CANCELLED',
]);
export type ExecutionStatusName = Wire<typeof executionStatusNameSchema>;

const epochMs = z.number().int();

/** A parent's progress through its items (docs/items.md), from its counters. */
export const itemsProgressSchema = z
  .object({
    total: z.number().int().describe('Items the expansion made.'),
    succeeded: z.number().int(),
    failed: z.number().int().describe('Items that ended in DLQ, FAILED or CANCELLED.'),
    open: z.number().int().describe('Items not terminal yet; the aggregate runs when this is 0.'),
  })
  .describe("An expanded execution's items");
export type ItemsProgress = Wire<typeof itemsProgressSchema>;

/** `GET …/executions/{id}`, and each item of a list page. */
export const executionStatusSchema = z
  .object({
    executionId: z.string(),
    status: executionStatusNameSchema,
    stepIndex: z.number().int(),
    stepId: z.string().nullable().describe("The step at `stepIndex`, from the pinned release's contract."),
    attempt: z.number().int(),
    version: z.number().int(),
    pipelineId: z.string(),
    contractVersion: z.string(),
    releaseVersion: z.string(),
    awaitUnitId: z.string().nullable(),
    nextDueAtEpochMs: epochMs.nullable(),
    createdAtEpochMs: epochMs,
    updatedAtEpochMs: epochMs,
    errorCode: z.string().nullable(),
    errorMessage: z.string().nullable(),
    dlqReason: z
      .string()
      .nullable()
      .describe(
        'Why it went to the DLQ: retry_exhausted, non_retryable, await_timeout, remote_outcome_unknown, lease_lost_exhausted.',
      ),
    waitingFor: z
      .enum(['worker', 'interaction'])
      .nullable()
      .describe('Why it does not move: no worker hosts its release, or an interaction is open.'),
    parentExecutionId: z
      .string()
      .optional()
      .describe('On an item (a child execution of an `expand` step): its parent.'),
    itemIndex: z.number().int().optional().describe("On an item: its position in the parent's expansion."),
    items: itemsProgressSchema.optional().describe('On a parent whose `expand` step ran: its items.'),
    scheduleId: z
      .string()
      .optional()
      .describe('On an execution a schedule started (docs/schedules.md): that schedule.'),
    errorStack: z
      .string()
      .optional()
      .describe(
        "Where the failing step threw (truncated): on a single execution's status, when one was kept.",
      ),
  })
  .describe("An execution's status");
export type ExecutionStatus = Wire<typeof executionStatusSchema>;

/** `POST …/executions`: a new execution, or the one its idempotency key (or input) named. */
export const submittedSchema = z
  .object({
    executionId: z.string(),
    duplicate: z
      .boolean()
      .describe(
        'True when the idempotency key (or, without one, the same input) named an existing execution.',
      ),
    statusUrl: z.string(),
    submittedAtEpochMs: epochMs,
    pipelineId: z.string(),
    contractVersion: z.string(),
    releaseVersion: z.string(),
  })
  .describe('The execution the submission made, or the one it named again');
export type Submitted = Wire<typeof submittedSchema>;

/** `GET …/executions/{id}/result`: the status, and the result once SUCCEEDED (null otherwise). */
export const executionResultSchema = z
  .object({
    status: executionStatusSchema,
    result: z.unknown().describe("The last step's output once SUCCEEDED; null otherwise."),
    resultPayload: z.unknown().describe('The same output in a TPF payload envelope; null until SUCCEEDED.'),
  })
  .describe("An execution's status and result");
export type ExecutionResultBody = Wire<typeof executionResultSchema>;

export const historyEventSchema = z.object({
  seq: z.number().int(),
  type: z.string(),
  atEpochMs: epochMs,
  stepId: z.string().nullable().describe('The step the event is about, by name, when it is about one.'),
  data: z.unknown(),
});
export type HistoryEvent = Wire<typeof historyEventSchema>;

/** `GET …/executions/{id}/history`. */
export const historyPageSchema = z
  .object({
    events: z.array(historyEventSchema),
    nextAfterSeq: z
      .number()
      .int()
      .nullable()
      .describe('Pass as `afterSeq` for the next page; null when this one was the last.'),
  })
  .describe("A page of an execution's journal");
export type HistoryPage = Wire<typeof historyPageSchema>;

/** `GET …/executions`: newest first, keyset-paged. */
export const executionPageSchema = z
  .object({
    items: z.array(executionStatusSchema),
    nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null after the last.'),
  })
  .describe('A page of executions');
export type ExecutionPage = Wire<typeof executionPageSchema>;

/** Where a re-drive sends the execution (docs/dlq.md#re-drive-targets). */
export const redriveTargetSchema = z
  .union([z.enum(['pinned', 'active']), z.object({ releaseVersion: z.string().min(1).max(200) }).strict()])
  .describe(
    '`pinned` (default): its own release; `active`: the active release; `{releaseVersion}`: that release. Another release must have the same contract version.',
  );
export type RedriveTargetBody = Wire<typeof redriveTargetSchema>;

/** `POST /tpf/admin/…/executions/{id}/redrive`. */
export const redrivenSchema = z
  .object({
    tenantId: z.string(),
    executionId: z.string(),
    previousStatus: executionStatusNameSchema,
    status: executionStatusNameSchema,
    version: z.number().int(),
    currentStepIndex: z.number().int(),
    attempt: z.number().int(),
    pipelineId: z.string(),
    contractVersion: z.string(),
    releaseVersion: z.string().describe('The release it runs on from now on.'),
    previousReleaseVersion: z.string().describe('The release it was pinned to before the re-drive.'),
    updatedAtEpochMs: epochMs,
  })
  .describe('The re-driven execution');
export type Redriven = Wire<typeof redrivenSchema>;

/** One item of `GET …/pipelines`: a pipeline with a registered release. */
export const pipelineSummarySchema = z.object({
  pipelineId: z.string(),
  activeReleaseVersion: z.string().nullable(),
  releaseCount: z.number().int(),
  hosted: z.boolean().describe('Whether a worker hosts the active release (else submissions are refused).'),
  liveCounts: z
    .partialRecord(executionStatusNameSchema, z.number().int())
    .describe('Executions under way and in the DLQ, by status (a status with none is absent).'),
});
export type PipelineSummary = Wire<typeof pipelineSummarySchema>;
export const pipelineSummariesSchema = z.array(pipelineSummarySchema).describe('Pipelines with a release');
