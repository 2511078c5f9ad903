import type { ExpiredLease, Store } from '../store-port.ts';
import type { InteractionRecord } from '../records.ts';
import {
  EXPIRED_LEASE_COLUMNS,
  expiredLeaseFromRow,
  interactionFromRow,
  type ExpiredLeaseRow,
  type InteractionRow,
} from '../rows.ts';
import { stillLeads } from './leadership.ts';
import { applyFailure } from './segment-commands.ts';
import { releaseAdmissions } from './admission.ts';
import type { Statements } from './statements.ts';
import { FailureCode, LEASE_EXPIRED_MESSAGE, awaitTimeoutMessage } from '../../domain/failure-codes.ts';

export function findExpiredLeases(sql: Statements, nowMs: number, limit: number): ExpiredLease[] {
  const rows = sql
    .get(
      `SELECT ${EXPIRED_LEASE_COLUMNS} FROM executions
       WHERE status = 'RUNNING' AND lease_expires_at <= ? ORDER BY lease_expires_at LIMIT ?`,
    )
    .all(nowMs, limit) as ExpiredLeaseRow[];
  return rows.map(expiredLeaseFromRow);
}

/**
 * Takes back a lease that ran out by `asOfMs`; a renewal that got there first wins. The guard
 * holds the step and attempt the decision was taken on: a holder that checkpointed in between
 * left a new step whose budget the decision knows nothing of.
 */
export function reclaimLease(sql: Statements, c: Parameters<Store['reclaimLease']>[0]): boolean {
  if (!stillLeads(sql, c.leader)) return false;
  const guard = `execution_id = @executionId AND status = 'RUNNING' AND lease_epoch = @leaseEpoch
    AND step_index = @stepIndex AND attempt = @lostAttempt AND lease_expires_at <= @asOfMs`;
  return (
    applyFailure(sql, guard, {
      ...c,
      // Not `attempt`: that name is the decision's next attempt in the UPDATE.
      guardParams: { lostAttempt: c.attempt },
      errorCode: FailureCode.LEASE_EXPIRED,
      errorMessage: LEASE_EXPIRED_MESSAGE,
    }) !== undefined
  );
}

export function findPassedDeadlines(sql: Statements, nowMs: number, limit: number): InteractionRecord[] {
  const rows = sql
    .get(
      `SELECT * FROM await_interactions WHERE status = 'WAITING' AND deadline_at <= ? ORDER BY deadline_at LIMIT ?`,
    )
    .all(nowMs, limit) as InteractionRow[];
  return rows.map(interactionFromRow);
}

/** Times an interaction out and moves its parked execution to the DLQ (or FAILED), once. */
export function timeOutInteraction(sql: Statements, c: Parameters<Store['timeOutInteraction']>[0]): boolean {
  if (!stillLeads(sql, c.leader)) return false;
  const interaction = sql
    .get(
      `UPDATE await_interactions SET status = 'TIMED_OUT', updated_at = ?
       WHERE interaction_id = ? AND status = 'WAITING' AND deadline_at <= ? RETURNING *`,
    )
    .get(c.nowMs, c.interactionId, c.nowMs) as InteractionRow | undefined;
  if (!interaction) return false;
  const guard = `execution_id = @executionId AND status = 'WAITING_EXTERNAL' AND await_unit_id = @unitId`;
  const version = applyFailure(sql, guard, {
    guardParams: { unitId: interaction.unit_id },
    executionId: interaction.execution_id,
    leaseEpoch: 0,
    stepIndex: interaction.step_index,
    errorCode: FailureCode.AWAIT_TIMEOUT,
    errorMessage: awaitTimeoutMessage(interaction.interaction_id),
    fingerprint: c.fingerprint,
    stepId: c.stepId,
    decision: { kind: c.terminalStatus === 'DLQ' ? 'dlq' : 'failed', reason: c.reason },
    publication: c.publication,
    nowMs: c.nowMs,
    expiresAtMs: c.expiresAtMs,
    interactionId: interaction.interaction_id,
  });
  if (version === undefined) {
    throw new Error(
      `execution ${interaction.execution_id} is not parked on await unit ${interaction.unit_id}`,
    );
  }
  releaseAdmissions(sql, [interaction.interaction_id], c.nowMs);
  return true;
}
