import { JournalEventType } from '../../domain/journal-events.ts';
import type { ClaimedSegment } from '../store-port.ts';
import { executionFromRow, parseJson, type ExecutionRow } from '../rows.ts';
import { rows, type Db } from './sql.ts';

/**
 * One statement for the whole claim: lock the due candidates, move them to RUNNING under a
 * new epoch (a guarded UPDATE: the expected status), journal an `attempt_started` event each
 * (its data built from the updated row), and return each with the checkpoint its segment
 * starts from, in due order. The UPDATE and the checkpoint read look rows up by primary key
 * (`= ANY(ARRAY(…))`, a correlated subquery), so the plan stays a few index probes per claimed
 * row however many executions the table holds, also when the prepared statement runs with
 * PostgreSQL's generic plan (which does not know `@limit`).
 */
export const CLAIM = `WITH due AS (
    SELECT execution_id, next_due_at FROM executions
    WHERE status IN ('QUEUED', 'WAIT_RETRY') AND next_due_at <= @nowMs
      AND release_version = ANY(@releaseVersions::text[])
    ORDER BY next_due_at LIMIT @limit
    FOR UPDATE SKIP LOCKED),
  moved AS (
    UPDATE executions SET status = 'RUNNING', lease_epoch = lease_epoch + 1, lease_owner = @owner,
      lease_expires_at = @leaseExpiresAtMs, next_due_at = NULL, version = version + 1, updated_at = @nowMs
    WHERE execution_id = ANY(ARRAY(SELECT execution_id FROM due)) AND status IN ('QUEUED', 'WAIT_RETRY')
    RETURNING *),
  event AS (
    INSERT INTO journal (execution_id, seq, type, at, data_json)
    SELECT execution_id, version, @eventType::text, @nowMs::bigint,
      json_build_object('leaseEpoch', lease_epoch, 'leaseOwner', @owner::text,
        'leaseExpiresAtMs', @leaseExpiresAtMs::bigint, 'stepIndex', step_index, 'attempt', attempt)::text
    FROM moved)
  SELECT moved.*, (
      SELECT output_json FROM step_outputs AS previous
      WHERE previous.execution_id = moved.execution_id AND previous.step_index = moved.step_index - 1
    ) AS previous_output_json
  FROM moved JOIN due ON due.execution_id = moved.execution_id
  ORDER BY due.next_due_at, moved.execution_id`;

type ClaimedRow = ExecutionRow & { previous_output_json: string | null };

/**
 * Claims due executions: the candidates are locked `FOR UPDATE SKIP LOCKED`, so coordinator
 * nodes claiming at once split the due work instead of queueing behind each other; each claim
 * is still a guarded UPDATE that bumps the fencing epoch, plus its `attempt_started` event.
 * Only executions pinned to a release some worker can run are claimed.
 */
export async function claimDue(db: Db, c: ClaimRequest): Promise<ClaimedSegment[]> {
  if (c.releaseVersions.length === 0 || c.limit <= 0) return [];
  const claimed = await rows<ClaimedRow>(db, CLAIM, claimParams(c));
  return claimed.map((r) => ({ execution: executionFromRow(r), input: stepInput(r) }));
}

export interface ClaimRequest {
  readonly nowMs: number;
  readonly limit: number;
  readonly owner: string;
  readonly leaseMs: number;
  readonly releaseVersions: readonly string[];
}

/** The claim statement's parameters (the benchmark explains the statement with them). */
export const claimParams = (c: ClaimRequest): Record<string, unknown> => ({
  nowMs: c.nowMs,
  releaseVersions: [...c.releaseVersions],
  limit: c.limit,
  owner: c.owner,
  leaseExpiresAtMs: c.nowMs + c.leaseMs,
  eventType: JournalEventType.ATTEMPT_STARTED,
});

/** The input of the step a segment starts at: the previous step's checkpoint, or the execution input. */
function stepInput(r: ClaimedRow): unknown {
  if (r.step_index === 0) return parseJson(r.input_json);
  if (r.previous_output_json === null)
    throw new Error(`execution ${r.execution_id} has no checkpoint for step ${r.step_index - 1}`);
  return parseJson(r.previous_output_json);
}
