import { JournalEventType } from '../../domain/journal-events.ts';
import type { FailureDecision } from '../../domain/retry-policy.ts';
import type { Fence, NewInteraction, Publication, StepFailure } from '../store-port.ts';
import { appendEvent, enqueuePublication } from './journal.ts';
import { toJson } from '../rows.ts';
import { exec, row, type Db } from './sql.ts';

// Every command here is fenced: it matches only while the execution is RUNNING under the
// caller's lease epoch and at the expected step. A stale worker's write matches no row.
const FENCED = `execution_id = @executionId AND status = 'RUNNING' AND lease_epoch = @leaseEpoch AND step_index = @stepIndex`;

export async function checkpointStep(
  db: Db,
  c: Fence & { stepIndex: number; output: unknown; nowMs: number },
): Promise<boolean> {
  const updated = await row<{ version: number }>(
    db,
    `UPDATE executions SET step_index = @stepIndex + 1, attempt = 0, version = version + 1, updated_at = @nowMs
     WHERE ${FENCED} RETURNING version`,
    c,
  );
  if (!updated) return false;
  await writeStepOutput(db, c.executionId, c.stepIndex, c.output);
  await appendEvent(db, c.executionId, updated.version, JournalEventType.STEP_COMPLETED, c.nowMs, {
    stepIndex: c.stepIndex,
    output: c.output,
  });
  return true;
}

export async function succeed(
  db: Db,
  c: Fence & { stepIndex: number; result: unknown; nowMs: number; expiresAtMs: number },
): Promise<boolean> {
  const updated = await row<{ version: number }>(
    db,
    `UPDATE executions SET status = 'SUCCEEDED', step_index = @stepIndex + 1, attempt = 0, result_json = @resultJson,
       lease_owner = NULL, lease_expires_at = NULL, next_due_at = NULL, await_unit_id = NULL,
       error_code = NULL, error_message = NULL, dlq_reason = NULL, expires_at = @expiresAtMs,
       version = version + 1, updated_at = @nowMs
     WHERE ${FENCED} RETURNING version`,
    { ...c, resultJson: toJson(c.result) },
  );
  if (!updated) return false;
  await writeStepOutput(db, c.executionId, c.stepIndex, c.result);
  await appendEvent(db, c.executionId, updated.version, JournalEventType.SUCCEEDED, c.nowMs, {
    stepIndex: c.stepIndex,
    result: c.result ?? null,
    expiresAtMs: c.expiresAtMs,
  });
  return true;
}

export async function suspend(
  db: Db,
  c: Fence & { stepIndex: number; interaction: NewInteraction; nowMs: number },
): Promise<boolean> {
  const i = c.interaction;
  const updated = await row<{ version: number; tenant_id: string }>(
    db,
    `UPDATE executions SET status = 'WAITING_EXTERNAL', await_unit_id = @unitId, lease_owner = NULL,
       lease_expires_at = NULL, next_due_at = NULL, version = version + 1, updated_at = @nowMs
     WHERE ${FENCED} RETURNING version, tenant_id`,
    { ...c, unitId: i.unitId },
  );
  if (!updated) return false;
  await exec(
    db,
    `INSERT INTO await_interactions (interaction_id, tenant_id, execution_id, unit_id, correlation_id, step_id,
       step_index, status, request_json, assignee, group_name, transport_type, deadline_at, created_at, updated_at)
     VALUES (@interactionId, @tenantId, @executionId, @unitId, @correlationId, @stepId, @stepIndex, 'WAITING',
       @requestJson, @assignee, @group, @transportType, @deadlineAtMs, @nowMs, @nowMs)`,
    {
      interactionId: i.interactionId,
      tenantId: updated.tenant_id,
      executionId: c.executionId,
      unitId: i.unitId,
      correlationId: i.correlationId,
      stepId: i.stepId,
      stepIndex: c.stepIndex,
      requestJson: JSON.stringify(i.requestPayload ?? null),
      assignee: i.assignee,
      group: i.group,
      transportType: i.transportType,
      deadlineAtMs: i.deadlineAtMs,
      nowMs: c.nowMs,
    },
  );
  await appendEvent(db, c.executionId, updated.version, JournalEventType.SUSPENDED, c.nowMs, {
    stepIndex: c.stepIndex,
    interaction: { ...i, requestPayload: i.requestPayload ?? null },
  });
  return true;
}

export async function fail(
  db: Db,
  c: Fence & {
    stepIndex: number;
    failure: StepFailure;
    decision: FailureDecision;
    publication: Publication | undefined;
    nowMs: number;
    expiresAtMs: number;
  },
): Promise<boolean> {
  const version = await applyFailure(db, FENCED, { ...c, ...c.failure });
  return version !== undefined;
}

/**
 * Writes a failure decision under a guard: WAIT_RETRY with the next attempt, or a terminal
 * DLQ / FAILED with its reason and the DLQ publication in the same transaction.
 * Returns the new version, or undefined when the guard did not match.
 */
export async function applyFailure(
  db: Db,
  guard: string,
  c: {
    executionId: string;
    leaseEpoch: number;
    stepIndex: number;
    errorCode: string;
    errorMessage: string;
    decision: FailureDecision;
    publication: Publication | undefined;
    nowMs: number;
    expiresAtMs: number;
    asOfMs?: number;
    interactionId?: string;
    /** Extra named parameters the guard refers to. */
    guardParams?: Record<string, unknown>;
  },
): Promise<number | undefined> {
  const params = {
    ...c.guardParams,
    executionId: c.executionId,
    leaseEpoch: c.leaseEpoch,
    stepIndex: c.stepIndex,
    errorCode: c.errorCode,
    errorMessage: c.errorMessage.slice(0, 2000),
    nowMs: c.nowMs,
    asOfMs: c.asOfMs ?? c.nowMs,
  };
  const d = c.decision;
  if (d.kind === 'retry') {
    const updated = await row<{ version: number }>(
      db,
      `UPDATE executions SET status = 'WAIT_RETRY', attempt = @attempt, next_due_at = @dueAtMs,
         error_code = @errorCode, error_message = @errorMessage, lease_owner = NULL, lease_expires_at = NULL,
         version = version + 1, updated_at = @nowMs
       WHERE ${guard} RETURNING version`,
      { ...params, attempt: d.attempt, dueAtMs: d.dueAtMs },
    );
    if (!updated) return undefined;
    await appendEvent(db, c.executionId, updated.version, JournalEventType.RETRY_SCHEDULED, c.nowMs, {
      stepIndex: c.stepIndex,
      attempt: d.attempt,
      dueAtMs: d.dueAtMs,
      errorCode: params.errorCode,
      errorMessage: params.errorMessage,
    });
    return updated.version;
  }
  const status = d.kind === 'dlq' ? 'DLQ' : 'FAILED';
  const updated = await row<{ version: number }>(
    db,
    `UPDATE executions SET status = @status, dlq_reason = @reason, error_code = @errorCode,
       error_message = @errorMessage, lease_owner = NULL, lease_expires_at = NULL, next_due_at = NULL,
       expires_at = @expiresAtMs, version = version + 1, updated_at = @nowMs
     WHERE ${guard} RETURNING version`,
    { ...params, status, reason: d.reason, expiresAtMs: c.expiresAtMs },
  );
  if (!updated) return undefined;
  await appendEvent(
    db,
    c.executionId,
    updated.version,
    d.kind === 'dlq' ? JournalEventType.MOVED_TO_DLQ : JournalEventType.FAILED,
    c.nowMs,
    {
      stepIndex: c.stepIndex,
      reason: d.reason,
      errorCode: params.errorCode,
      errorMessage: params.errorMessage,
      expiresAtMs: c.expiresAtMs,
      ...(c.interactionId ? { interactionId: c.interactionId } : {}),
    },
  );
  if (d.kind === 'dlq') await enqueuePublication(db, c.publication, c.nowMs);
  return updated.version;
}

export async function writeStepOutput(
  db: Db,
  executionId: string,
  stepIndex: number,
  output: unknown,
): Promise<void> {
  await exec(
    db,
    `INSERT INTO step_outputs (execution_id, step_index, output_json) VALUES (@executionId, @stepIndex, @outputJson)
     ON CONFLICT (execution_id, step_index) DO UPDATE SET output_json = excluded.output_json`,
    { executionId, stepIndex, outputJson: JSON.stringify(output ?? null) },
  );
}
