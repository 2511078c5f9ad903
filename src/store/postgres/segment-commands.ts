import { JournalEventType } from '../../domain/journal-events.ts';
import type { FailureDecision } from '../../domain/retry-policy.ts';
import type { Fence, Publication, StepFailure } from '../store-port.ts';
import { enqueuePublication, JOURNAL_MOVED } from './journal.ts';
import { CHAIN_AFTER_RETRY, chainParams } from '../chain-sql.ts';
import { row, type Db } from './sql.ts';

// Every command here is fenced: it matches only while the execution is RUNNING under the
// caller's lease epoch and at the expected step. A stale worker's write matches no row.
const FENCED = `execution_id = @executionId AND status = 'RUNNING' AND lease_epoch = @leaseEpoch AND step_index = @stepIndex`;

// A failure is one statement: the guarded UPDATE, and in a CTE of the same statement its
// journal event, written only when the guard matched. Checkpoints and success, the commands
// every step ends with, are in `step-commits.ts`; suspend is in `suspend.ts`.

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
      `WITH moved AS (
         UPDATE executions SET status = 'WAIT_RETRY', attempt = @attempt, next_due_at = @dueAtMs,
           error_code = @errorCode, error_message = @errorMessage, lease_owner = NULL, lease_expires_at = NULL,
           ${CHAIN_AFTER_RETRY}, version = version + 1, updated_at = @nowMs
         WHERE ${guard} RETURNING execution_id, version),
       ${JOURNAL_MOVED}
       SELECT version FROM moved`,
      {
        ...params,
        ...chainParams(params.errorCode, d.attempt),
        attempt: d.attempt,
        dueAtMs: d.dueAtMs,
        eventType: JournalEventType.RETRY_SCHEDULED,
        data: JSON.stringify({
          stepIndex: c.stepIndex,
          attempt: d.attempt,
          dueAtMs: d.dueAtMs,
          errorCode: params.errorCode,
          errorMessage: params.errorMessage,
        }),
      },
    );
    return updated?.version;
  }
  const status = d.kind === 'dlq' ? 'DLQ' : 'FAILED';
  const updated = await row<{ version: number }>(
    db,
    `WITH moved AS (
       UPDATE executions SET status = @status, dlq_reason = @reason, error_code = @errorCode,
         error_message = @errorMessage, lease_owner = NULL, lease_expires_at = NULL, next_due_at = NULL,
         expires_at = @expiresAtMs, version = version + 1, updated_at = @nowMs
       WHERE ${guard} RETURNING execution_id, version),
     ${JOURNAL_MOVED}
     SELECT version FROM moved`,
    {
      ...params,
      status,
      reason: d.reason,
      expiresAtMs: c.expiresAtMs,
      eventType: d.kind === 'dlq' ? JournalEventType.MOVED_TO_DLQ : JournalEventType.FAILED,
      data: JSON.stringify({
        stepIndex: c.stepIndex,
        reason: d.reason,
        errorCode: params.errorCode,
        errorMessage: params.errorMessage,
        expiresAtMs: c.expiresAtMs,
        ...(c.interactionId ? { interactionId: c.interactionId } : {}),
      }),
    },
  );
  if (!updated) return undefined;
  if (d.kind === 'dlq') await enqueuePublication(db, c.publication, c.nowMs);
  return updated.version;
}
