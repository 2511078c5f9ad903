import { isTerminal } from '../../domain/execution-status.ts';
import { JournalEventType } from '../../domain/journal-events.ts';
import type { CancelOutcome, RedriveOutcome, Store } from '../store-port.ts';
import { attemptOffsetAfterRedrive } from '../../domain/step-attempt.ts';
import { releaseAdmissions } from './admission.ts';
import { appendEvent } from './journal.ts';
import { redrivePlan } from '../redrive-event.ts';
import { cancelOpenItems, reopenItem, settleItem } from './item-commands.ts';
import { executionFromRow, type ExecutionRow } from '../rows.ts';
import type { Statements } from './statements.ts';

function read(sql: Statements, tenantId: string, executionId: string): ExecutionRow | undefined {
  return sql
    .get('SELECT * FROM executions WHERE tenant_id = ? AND execution_id = ?')
    .get(tenantId, executionId) as ExecutionRow | undefined;
}

/**
 * Re-drive: DLQ (or FAILED with `allowFailed`) → QUEUED at the first step without a checkpoint,
 * with a fresh retry budget, on the same pin or `toRelease` (same contract version). Guarded by
 * the version the caller saw.
 */
export function redrive(sql: Statements, c: Parameters<Store['redrive']>[0]): RedriveOutcome {
  const current = read(sql, c.tenantId, c.executionId);
  if (!current) return { kind: 'not_found' };
  const execution = executionFromRow(current);
  if (!(execution.status === 'DLQ' || (execution.status === 'FAILED' && c.allowFailed))) {
    return { kind: 'wrong_status', execution };
  }
  if (c.expectedVersion !== undefined && c.expectedVersion !== execution.version) {
    return { kind: 'wrong_version', execution };
  }
  // An item counts as open again, unless its parent's aggregate has already seen it.
  if (execution.parentExecutionId !== null && !reopenItem(sql, execution.parentExecutionId))
    return { kind: 'item_already_aggregated', execution };
  // A fresh retry budget (`attempt` 0), but the try numbers of the step keep counting up.
  const offset = attemptOffsetAfterRedrive(execution);
  const plan = redrivePlan(execution, c, offset.attemptOffset);
  if (!plan.fits) return { kind: 'contract_mismatch', execution };
  const row = sql
    .get(
      `UPDATE executions SET status = 'QUEUED', release_version = ?, attempt = 0, attempt_offset = ?, attempt_offset_step = ?,
         next_due_at = ?, error_code = NULL, error_message = NULL,
         dlq_reason = NULL, failure_fingerprint = NULL, failed_step_id = NULL,
         expires_at = NULL, version = version + 1, updated_at = ?
       WHERE execution_id = ? AND version = ? RETURNING *`,
    )
    .get(
      plan.releaseVersion,
      offset.attemptOffset,
      offset.attemptOffsetStep,
      c.nowMs,
      c.nowMs,
      c.executionId,
      execution.version,
    ) as ExecutionRow | undefined;
  if (!row) return { kind: 'wrong_version', execution };
  appendEvent(sql, c.executionId, row.version, JournalEventType.REDRIVEN, c.nowMs, plan.data);
  return { kind: 'redriven', previousStatus: execution.status, execution: executionFromRow(row) };
}

/** Cancel: any non-terminal state → CANCELLED, epoch bumped, open interactions cancelled. */
export function cancel(
  sql: Statements,
  c: { tenantId: string; executionId: string; reason: string; nowMs: number; expiresAtMs: number },
): CancelOutcome {
  const current = read(sql, c.tenantId, c.executionId);
  if (!current) return { kind: 'not_found' };
  const execution = executionFromRow(current);
  if (execution.status === 'CANCELLED') return { kind: 'already_cancelled', execution };
  if (isTerminal(execution.status)) return { kind: 'terminal', execution };
  // A parent's open items are cancelled with it, and counted as failed items.
  const items = execution.itemsTotal === null ? 0 : cancelOpenItems(sql, c.executionId, c);
  const row = sql
    .get(
      `UPDATE executions SET status = 'CANCELLED', lease_epoch = lease_epoch + 1, lease_owner = NULL,
         lease_expires_at = NULL, next_due_at = NULL, expires_at = ?, version = version + 1, updated_at = ?,
         items_open = items_open - ?, items_failed = items_failed + ?
       WHERE execution_id = ? AND version = ? RETURNING *`,
    )
    .get(c.expiresAtMs, c.nowMs, items, items, c.executionId, execution.version) as ExecutionRow | undefined;
  if (!row) throw new Error(`execution ${c.executionId} changed during cancel`);
  settleItem(sql, execution.parentExecutionId, true, c.nowMs);
  const ended = sql
    .get(
      `UPDATE await_interactions SET status = 'CANCELLED', updated_at = ?
       WHERE execution_id = ? AND status IN ('WAITING', 'ADMISSION_WAITING') RETURNING interaction_id`,
    )
    .all(c.nowMs, c.executionId) as { interaction_id: string }[];
  appendEvent(sql, c.executionId, row.version, JournalEventType.CANCELLED, c.nowMs, {
    previousStatus: execution.status,
    reason: c.reason,
    leaseEpoch: row.lease_epoch,
    expiresAtMs: c.expiresAtMs,
  });
  // After its own event: admitting another execution's interaction journals on that one.
  releaseAdmissions(
    sql,
    ended.map((e) => e.interaction_id),
    c.nowMs,
  );
  return { kind: 'cancelled', execution: executionFromRow(row) };
}
