import { JournalEventType } from '../../domain/journal-events.ts';
import type { ClaimedSegment } from '../store-port.ts';
import { appendEvent } from './journal.ts';
import { executionFromRow, parseJson, type ExecutionRow } from '../rows.ts';
import type { Statements } from './statements.ts';

/** Due executions of the given releases (a JSON array), in due order: `(nowMs, releases, limit)`. */
export const CLAIM_CANDIDATES = `SELECT execution_id, status, lease_epoch FROM executions
       WHERE status IN ('QUEUED', 'WAIT_RETRY') AND next_due_at <= ?
         AND release_version IN (SELECT value FROM json_each(?))
       ORDER BY next_due_at LIMIT ?`;

/**
 * Claims due executions: each is a guarded UPDATE (expected status and epoch) that bumps the
 * fencing epoch, plus its `attempt_started` event. Only executions pinned to a release some
 * worker can run are claimed; the rest stay due without spending an attempt.
 */
export function claimDue(
  sql: Statements,
  c: { nowMs: number; limit: number; owner: string; leaseMs: number; releaseVersions: readonly string[] },
): ClaimedSegment[] {
  if (c.releaseVersions.length === 0 || c.limit <= 0) return [];
  const candidates = sql
    .get(CLAIM_CANDIDATES)
    .all(c.nowMs, JSON.stringify(c.releaseVersions), c.limit) as Pick<
    ExecutionRow,
    'execution_id' | 'status' | 'lease_epoch'
  >[];
  const claimed: ClaimedSegment[] = [];
  const leaseExpiresAtMs = c.nowMs + c.leaseMs;
  for (const candidate of candidates) {
    const row = sql
      .get(
        `UPDATE executions SET status = 'RUNNING', lease_epoch = lease_epoch + 1, lease_owner = ?,
           lease_expires_at = ?, next_due_at = NULL, version = version + 1, updated_at = ?
         WHERE execution_id = ? AND status = ? AND lease_epoch = ?
         RETURNING *`,
      )
      .get(
        c.owner,
        leaseExpiresAtMs,
        c.nowMs,
        candidate.execution_id,
        candidate.status,
        candidate.lease_epoch,
      ) as ExecutionRow | undefined;
    if (!row) continue;
    appendEvent(sql, row.execution_id, row.version, JournalEventType.ATTEMPT_STARTED, c.nowMs, {
      leaseEpoch: row.lease_epoch,
      leaseOwner: c.owner,
      leaseExpiresAtMs,
      stepIndex: row.step_index,
      attempt: row.attempt,
    });
    claimed.push({ execution: executionFromRow(row), input: stepInput(sql, row) });
  }
  return claimed;
}

/** The input of the step a segment starts at: the previous step's checkpoint, or the execution input. */
function stepInput(sql: Statements, row: ExecutionRow): unknown {
  if (row.step_index === 0) return parseJson(row.input_json);
  const previous = sql
    .get('SELECT output_json FROM step_outputs WHERE execution_id = ? AND step_index = ?')
    .get(row.execution_id, row.step_index - 1) as { output_json: string } | undefined;
  if (!previous)
    throw new Error(`execution ${row.execution_id} has no checkpoint for step ${row.step_index - 1}`);
  return parseJson(previous.output_json);
}
