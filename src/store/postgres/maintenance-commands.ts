import type { InteractionRecord } from '../records.ts';
import type { ExpiredLease, Store } from '../store-port.ts';
import {
  EXPIRED_LEASE_COLUMNS,
  expiredLeaseFromRow,
  interactionFromRow,
  type ExpiredLeaseRow,
  type InteractionRow,
} from '../rows.ts';
import { releaseAdmissions } from './admission.ts';
import { stillLeads } from './leadership.ts';
import { applyFailure } from './segment-commands.ts';
import { row, rows, type Db } from './sql.ts';
import { FailureCode, LEASE_EXPIRED_MESSAGE, awaitTimeoutMessage } from '../../domain/failure-codes.ts';

export async function findExpiredLeases(db: Db, nowMs: number, limit: number): Promise<ExpiredLease[]> {
  const found = await rows<ExpiredLeaseRow>(
    db,
    `SELECT ${EXPIRED_LEASE_COLUMNS} FROM executions
     WHERE status = 'RUNNING' AND lease_expires_at <= @nowMs ORDER BY lease_expires_at LIMIT @limit`,
    { nowMs, limit },
  );
  return found.map(expiredLeaseFromRow);
}

/**
 * Takes back a lease that ran out by `asOfMs`; a renewal that got there first wins. The guard
 * holds the step and attempt the decision was taken on: a holder that checkpointed in between
 * left a new step whose budget the decision knows nothing of.
 */
export async function reclaimLease(db: Db, c: Parameters<Store['reclaimLease']>[0]): Promise<boolean> {
  if (!(await stillLeads(db, c.leader))) return false;
  const guard = `execution_id = @executionId AND status = 'RUNNING' AND lease_epoch = @leaseEpoch
    AND step_index = @stepIndex AND attempt = @lostAttempt AND lease_expires_at <= @asOfMs`;
  return (
    (await applyFailure(db, guard, {
      ...c,
      // Not `attempt`: that name is the decision's next attempt in the UPDATE.
      guardParams: { lostAttempt: c.attempt },
      errorCode: FailureCode.LEASE_EXPIRED,
      errorMessage: LEASE_EXPIRED_MESSAGE,
    })) !== undefined
  );
}

export async function findPassedDeadlines(
  db: Db,
  nowMs: number,
  limit: number,
): Promise<InteractionRecord[]> {
  const found = await rows<InteractionRow>(
    db,
    `SELECT * FROM await_interactions WHERE status = 'WAITING' AND deadline_at <= @nowMs
     ORDER BY deadline_at LIMIT @limit`,
    { nowMs, limit },
  );
  return found.map(interactionFromRow);
}

/** Times an interaction out and moves its parked execution to the DLQ (or FAILED), once. */
export async function timeOutInteraction(
  db: Db,
  c: Parameters<Store['timeOutInteraction']>[0],
): Promise<boolean> {
  if (!(await stillLeads(db, c.leader))) return false;
  const interaction = await row<InteractionRow>(
    db,
    `UPDATE await_interactions SET status = 'TIMED_OUT', updated_at = @nowMs
     WHERE interaction_id = @interactionId AND status = 'WAITING' AND deadline_at <= @nowMs RETURNING *`,
    { nowMs: c.nowMs, interactionId: c.interactionId },
  );
  if (!interaction) return false;
  const guard = `execution_id = @executionId AND status = 'WAITING_EXTERNAL' AND await_unit_id = @unitId`;
  const version = await applyFailure(db, guard, {
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
  await releaseAdmissions(db, [interaction.interaction_id], c.nowMs);
  return true;
}
