import { JournalEventType } from '../../domain/journal-events.ts';
import type { FailureDecision } from '../../domain/retry-policy.ts';
import { FenceLostMidSegment } from '../segment-commit.ts';
import type {
  CommitSegmentCommand,
  Fence,
  Publication,
  SegmentOutcome,
  StepFailure,
  SuspendCommand,
} from '../store-port.ts';
import { admissionMarker } from '../admission.ts';
import { admitOrHold } from './admission.ts';
import { appendEvent, enqueuePublication } from './journal.ts';
import { expand, settleItem } from './item-commands.ts';
import { failureUpdate, type FailureCommand } from '../failure-update.ts';
import { toJson } from '../rows.ts';
import type { Statements } from './statements.ts';

// Every command here is fenced: it matches only while the execution is RUNNING under the
// caller's lease epoch and at the expected step. A stale worker's write matches no row.
const FENCED = `execution_id = @executionId AND status = 'RUNNING' AND lease_epoch = @leaseEpoch AND step_index = @stepIndex`;

type Versioned = { version: number } | undefined;

export function checkpointStep(
  sql: Statements,
  c: Fence & { stepIndex: number; output: unknown; nowMs: number },
): boolean {
  const row = sql
    .get(
      `UPDATE executions SET step_index = @stepIndex + 1, attempt = 0, version = version + 1, updated_at = @nowMs
       WHERE ${FENCED} RETURNING version`,
    )
    .get(c) as Versioned;
  if (!row) return false;
  writeStepOutput(sql, c.executionId, c.stepIndex, c.output);
  appendEvent(sql, c.executionId, row.version, JournalEventType.STEP_COMPLETED, c.nowMs, {
    stepIndex: c.stepIndex,
    output: c.output,
  });
  return true;
}

export function succeed(
  sql: Statements,
  c: Fence & { stepIndex: number; result: unknown; nowMs: number; expiresAtMs: number },
): boolean {
  const row = sql
    .get(
      `UPDATE executions SET status = 'SUCCEEDED', step_index = @stepIndex + 1, attempt = 0, result_json = @resultJson,
         lease_owner = NULL, lease_expires_at = NULL, next_due_at = NULL, await_unit_id = NULL,
         error_code = NULL, error_message = NULL, dlq_reason = NULL, expires_at = @expiresAtMs,
         version = version + 1, updated_at = @nowMs
       WHERE ${FENCED} RETURNING version, parent_execution_id`,
    )
    .get({ ...c, resultJson: toJson(c.result) }) as
    | { version: number; parent_execution_id: string | null }
    | undefined;
  if (!row) return false;
  writeStepOutput(sql, c.executionId, c.stepIndex, c.result);
  appendEvent(sql, c.executionId, row.version, JournalEventType.SUCCEEDED, c.nowMs, {
    stepIndex: c.stepIndex,
    result: c.result ?? null,
    expiresAtMs: c.expiresAtMs,
  });
  settleItem(sql, row.parent_execution_id, false, c.nowMs);
  return true;
}

export function suspend(sql: Statements, c: SuspendCommand): boolean {
  const i = c.interaction;
  const row = sql
    .get(
      `UPDATE executions SET status = 'WAITING_EXTERNAL', await_unit_id = @unitId, lease_owner = NULL,
         lease_expires_at = NULL, next_due_at = NULL, version = version + 1, updated_at = @nowMs
       WHERE ${FENCED} RETURNING version, tenant_id, pipeline_id`,
    )
    .get({ ...c, unitId: i.unitId }) as
    { version: number; tenant_id: string; pipeline_id: string } | undefined;
  if (!row) return false;
  // Under an admission budget the park is admitted (its request goes out) or held back.
  const admitted =
    i.admissionLimit === undefined
      ? undefined
      : admitOrHold(sql, {
          tenantId: row.tenant_id,
          pipelineId: row.pipeline_id,
          stepId: i.stepId,
          executionId: c.executionId,
          interactionId: i.interactionId,
          limit: i.admissionLimit,
          deadlineMs: i.deadlineAtMs - c.nowMs,
          publication: c.publication,
          nowMs: c.nowMs,
        });
  sql
    .get(
      `INSERT INTO await_interactions (interaction_id, tenant_id, execution_id, unit_id, correlation_id, step_id,
         step_index, status, request_json, assignee, group_name, transport_type, deadline_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      i.interactionId,
      row.tenant_id,
      c.executionId,
      i.unitId,
      i.correlationId,
      i.stepId,
      c.stepIndex,
      admitted === false ? 'ADMISSION_WAITING' : 'WAITING',
      JSON.stringify(i.requestPayload ?? null),
      i.assignee,
      i.group,
      i.transportType,
      i.deadlineAtMs,
      c.nowMs,
      c.nowMs,
    );
  appendEvent(sql, c.executionId, row.version, JournalEventType.SUSPENDED, c.nowMs, {
    stepIndex: c.stepIndex,
    interaction: { ...i, requestPayload: i.requestPayload ?? null },
    ...(admitted === undefined ? {} : { admission: admissionMarker(admitted) }),
  });
  // The await request is published only if the park commits, and then surely (the outbox);
  // a held-back one only once it is admitted.
  if (admitted !== false) enqueuePublication(sql, c.publication, c.nowMs);
  return true;
}

export function fail(
  sql: Statements,
  c: Fence & {
    stepIndex: number;
    failure: StepFailure;
    decision: FailureDecision;
    publication: Publication | undefined;
    nowMs: number;
    expiresAtMs: number;
  },
): boolean {
  const version = applyFailure(sql, FENCED, { ...c, ...c.failure });
  return version !== undefined;
}

/**
 * A segment's outputs and outcome in the caller's transaction: the same commands, hence the
 * same statements and journal events, as when each is committed alone. A write that loses its
 * guard after the first won throws, so the transaction rolls the segment back whole.
 */
export function commitSegment(sql: Statements, c: CommitSegmentCommand): boolean {
  const fence = { executionId: c.executionId, leaseEpoch: c.leaseEpoch };
  for (const [i, { stepIndex, output }] of c.outputs.entries()) {
    if (checkpointStep(sql, { ...fence, stepIndex, output, nowMs: c.nowMs })) continue;
    if (i === 0) return false;
    throw new FenceLostMidSegment(c.executionId, stepIndex);
  }
  if (commitOutcome(sql, fence, c.outcome, c.nowMs)) return true;
  if (c.outputs.length === 0) return false;
  throw new FenceLostMidSegment(c.executionId, c.outcome.stepIndex);
}

function commitOutcome(sql: Statements, fence: Fence, o: SegmentOutcome, nowMs: number): boolean {
  switch (o.kind) {
    case 'succeed':
      return succeed(sql, {
        ...fence,
        stepIndex: o.stepIndex,
        result: o.result,
        nowMs,
        expiresAtMs: o.expiresAtMs,
      });
    case 'suspend':
      return suspend(sql, {
        ...fence,
        stepIndex: o.stepIndex,
        interaction: o.interaction,
        publication: o.publication,
        nowMs,
      });
    case 'expand':
      return expand(sql, fence, o, nowMs);
    case 'fail':
      return fail(sql, { ...fence, ...o, nowMs });
  }
}

/**
 * Writes a failure decision under a guard: WAIT_RETRY with the next attempt, or a terminal
 * DLQ / FAILED with its reason and the DLQ publication in the same transaction.
 * Returns the new version, or undefined when the guard did not match.
 */
export function applyFailure(sql: Statements, guard: string, c: FailureCommand): number | undefined {
  const update = failureUpdate(c);
  const row = sql
    .get(`UPDATE executions SET ${update.set} WHERE ${guard} RETURNING version, parent_execution_id`)
    .get(update.params) as { version: number; parent_execution_id: string | null } | undefined;
  if (!row) return undefined;
  appendEvent(sql, c.executionId, row.version, update.event.type, c.nowMs, update.event.data);
  if (c.decision.kind === 'dlq') enqueuePublication(sql, c.publication, c.nowMs);
  // A terminal failure (DLQ or FAILED) of an item settles it with its parent.
  if (c.decision.kind !== 'retry') settleItem(sql, row.parent_execution_id, true, c.nowMs);
  return row.version;
}

export function writeStepOutput(
  sql: Statements,
  executionId: string,
  stepIndex: number,
  output: unknown,
): void {
  sql
    .get(
      `INSERT INTO step_outputs (execution_id, step_index, output_json) VALUES (?, ?, ?)
       ON CONFLICT (execution_id, step_index) DO UPDATE SET output_json = excluded.output_json`,
    )
    .run(executionId, stepIndex, JSON.stringify(output ?? null));
}
