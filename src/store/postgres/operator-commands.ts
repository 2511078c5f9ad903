import { isTerminal } from '../../domain/execution-status.ts';
import { JournalEventType } from '../../domain/journal-events.ts';
import type { CancelOutcome, RedriveOutcome, Store } from '../store-port.ts';
import { attemptOffsetAfterRedrive } from '../../domain/step-attempt.ts';
import { lockEntriesOf, releaseAdmissions } from './admission.ts';
import { appendEvent } from './journal.ts';
import { redrivePlan } from '../redrive-event.ts';
import { cancelOpenItems, reopenItem, settleItem } from './item-commands.ts';
import { executionFromRow, type ExecutionRow } from '../rows.ts';
import { row, rows, type Db } from './sql.ts';

/**
 * Reads the execution and locks its row until the command's transaction ends, so the decision
 * taken on what was read (status, version) still holds when the guarded UPDATE runs, whatever
 * other coordinator nodes do meanwhile.
 */
const readForUpdate = (db: Db, tenantId: string, executionId: string) =>
  row<ExecutionRow>(
    db,
    'SELECT * FROM executions WHERE tenant_id = @tenantId AND execution_id = @executionId FOR UPDATE',
    { tenantId, executionId },
  );

/**
 * Re-drive: DLQ (or FAILED with `allowFailed`) → QUEUED at the first step without a checkpoint,
 * with a fresh retry budget, on the same pin or `toRelease` (same contract version). Guarded by
 * the version the caller saw.
 */
export async function redrive(db: Db, c: Parameters<Store['redrive']>[0]): Promise<RedriveOutcome> {
  const current = await readForUpdate(db, c.tenantId, c.executionId);
  if (!current) return { kind: 'not_found' };
  const execution = executionFromRow(current);
  if (!(execution.status === 'DLQ' || (execution.status === 'FAILED' && c.allowFailed))) {
    return { kind: 'wrong_status', execution };
  }
  if (c.expectedVersion !== undefined && c.expectedVersion !== execution.version) {
    return { kind: 'wrong_version', execution };
  }
  // An item counts as open again, unless its parent's aggregate has already seen it.
  if (execution.parentExecutionId !== null && !(await reopenItem(db, execution.parentExecutionId)))
    return { kind: 'item_already_aggregated', execution };
  // A fresh retry budget (`attempt` 0), but the try numbers of the step keep counting up.
  const offset = attemptOffsetAfterRedrive(execution);
  const plan = redrivePlan(execution, c, offset.attemptOffset);
  if (!plan.fits) return { kind: 'contract_mismatch', execution };
  const updated = await row<ExecutionRow>(
    db,
    `UPDATE executions SET status = 'QUEUED', release_version = @releaseVersion, attempt = 0, attempt_offset = @attemptOffset,
       attempt_offset_step = @attemptOffsetStep, next_due_at = @nowMs, error_code = NULL,
       error_message = NULL, dlq_reason = NULL, failure_fingerprint = NULL, failed_step_id = NULL,
         expires_at = NULL, version = version + 1, updated_at = @nowMs
     WHERE execution_id = @executionId AND version = @version RETURNING *`,
    {
      ...offset,
      releaseVersion: plan.releaseVersion,
      nowMs: c.nowMs,
      executionId: c.executionId,
      version: execution.version,
    },
  );
  if (!updated) return { kind: 'wrong_version', execution };
  await appendEvent(db, c.executionId, updated.version, JournalEventType.REDRIVEN, c.nowMs, plan.data);
  return { kind: 'redriven', previousStatus: execution.status, execution: executionFromRow(updated) };
}

/** Cancel: any non-terminal state → CANCELLED, epoch bumped, open interactions cancelled. */
export async function cancel(
  db: Db,
  c: { tenantId: string; executionId: string; reason: string; nowMs: number; expiresAtMs: number },
): Promise<CancelOutcome> {
  // The admission entry first, then the execution: the order an admission takes them in.
  await lockEntriesOf(db, c.executionId);
  const current = await readForUpdate(db, c.tenantId, c.executionId);
  if (!current) return { kind: 'not_found' };
  const execution = executionFromRow(current);
  if (execution.status === 'CANCELLED') return { kind: 'already_cancelled', execution };
  if (isTerminal(execution.status)) return { kind: 'terminal', execution };
  // A parent's open items are cancelled with it, and counted as failed items.
  const items = execution.itemsTotal === null ? 0 : await cancelOpenItems(db, c.executionId, c);
  const updated = await row<ExecutionRow>(
    db,
    `UPDATE executions SET status = 'CANCELLED', lease_epoch = lease_epoch + 1, lease_owner = NULL,
       lease_expires_at = NULL, next_due_at = NULL, expires_at = @expiresAtMs, version = version + 1,
       updated_at = @nowMs, items_open = items_open - @items, items_failed = items_failed + @items
     WHERE execution_id = @executionId AND version = @version RETURNING *`,
    {
      expiresAtMs: c.expiresAtMs,
      nowMs: c.nowMs,
      executionId: c.executionId,
      version: execution.version,
      items,
    },
  );
  if (!updated) throw new Error(`execution ${c.executionId} changed during cancel`);
  await settleItem(db, execution.parentExecutionId, true, c.nowMs);
  const ended = await rows<{ interaction_id: string }>(
    db,
    `UPDATE await_interactions SET status = 'CANCELLED', updated_at = @nowMs
     WHERE execution_id = @executionId AND status IN ('WAITING', 'ADMISSION_WAITING') RETURNING interaction_id`,
    { nowMs: c.nowMs, executionId: c.executionId },
  );
  await appendEvent(db, c.executionId, updated.version, JournalEventType.CANCELLED, c.nowMs, {
    previousStatus: execution.status,
    reason: c.reason,
    leaseEpoch: updated.lease_epoch,
    expiresAtMs: c.expiresAtMs,
  });
  // After its own event: admitting another execution's interaction journals on that one.
  await releaseAdmissions(
    db,
    ended.map((e) => e.interaction_id),
    c.nowMs,
  );
  return { kind: 'cancelled', execution: executionFromRow(updated) };
}
