import { JournalEventType } from '../../domain/journal-events.ts';
import type { ClaimedSegment } from '../store-port.ts';
import { appendEvent } from './journal.ts';
import { executionFromRow, parseJson, type ExecutionRow } from '../rows.ts';
import { row, rows, type Db } from './sql.ts';

/**
 * Claims due executions: the candidates are locked `FOR UPDATE SKIP LOCKED`, so coordinator
 * nodes claiming at once split the due work instead of queueing behind each other; each claim
 * is still a guarded UPDATE (expected status and epoch) that bumps the fencing epoch, plus its
 * `attempt_started` event. Only executions pinned to a release some worker can run are claimed.
 */
export async function claimDue(
  db: Db,
  c: { nowMs: number; limit: number; owner: string; leaseMs: number; releaseVersions: readonly string[] },
): Promise<ClaimedSegment[]> {
  if (c.releaseVersions.length === 0 || c.limit <= 0) return [];
  const candidates = await rows<Pick<ExecutionRow, 'execution_id' | 'status' | 'lease_epoch'>>(
    db,
    `SELECT execution_id, status, lease_epoch FROM executions
     WHERE status IN ('QUEUED', 'WAIT_RETRY') AND next_due_at <= @nowMs
       AND release_version = ANY(@releaseVersions::text[])
     ORDER BY next_due_at LIMIT @limit
     FOR UPDATE SKIP LOCKED`,
    { nowMs: c.nowMs, releaseVersions: [...c.releaseVersions], limit: c.limit },
  );
  const claimed: ClaimedSegment[] = [];
  const leaseExpiresAtMs = c.nowMs + c.leaseMs;
  for (const candidate of candidates) {
    const updated = await row<ExecutionRow>(
      db,
      `UPDATE executions SET status = 'RUNNING', lease_epoch = lease_epoch + 1, lease_owner = @owner,
         lease_expires_at = @leaseExpiresAtMs, next_due_at = NULL, version = version + 1, updated_at = @nowMs
       WHERE execution_id = @executionId AND status = @status AND lease_epoch = @leaseEpoch
       RETURNING *`,
      {
        owner: c.owner,
        leaseExpiresAtMs,
        nowMs: c.nowMs,
        executionId: candidate.execution_id,
        status: candidate.status,
        leaseEpoch: candidate.lease_epoch,
      },
    );
    if (!updated) continue;
    await appendEvent(db, updated.execution_id, updated.version, JournalEventType.ATTEMPT_STARTED, c.nowMs, {
      leaseEpoch: updated.lease_epoch,
      leaseOwner: c.owner,
      leaseExpiresAtMs,
      stepIndex: updated.step_index,
      attempt: updated.attempt,
    });
    claimed.push({ execution: executionFromRow(updated), input: await stepInput(db, updated) });
  }
  return claimed;
}

/** The input of the step a segment starts at: the previous step's checkpoint, or the execution input. */
async function stepInput(db: Db, r: ExecutionRow): Promise<unknown> {
  if (r.step_index === 0) return parseJson(r.input_json);
  const previous = await row<{ output_json: string }>(
    db,
    'SELECT output_json FROM step_outputs WHERE execution_id = @executionId AND step_index = @stepIndex',
    { executionId: r.execution_id, stepIndex: r.step_index - 1 },
  );
  if (!previous)
    throw new Error(`execution ${r.execution_id} has no checkpoint for step ${r.step_index - 1}`);
  return parseJson(previous.output_json);
}
