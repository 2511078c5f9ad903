import { JournalEventType } from '../../domain/journal-events.ts';
import { PARKED_DISPATCH_BASE, PARKED_NO_ROUTE, type Route } from '../../domain/parking.ts';
import type { ClaimCommand, ClaimOutcome } from '../store-port.ts';
import { executionFromRow, parseJson, type ExecutionRow } from '../rows.ts';
import { exec, rows, type Db } from './sql.ts';
import { itemOutcomes } from './item-commands.ts';

/** Rows of the due index's head looked at per claim, beyond the ones claimed. */
export const PARK_WINDOW = 64;

/**
 * The routes of a claim as a relation: `(tenant_id, pipeline_id, release_version)`, each once,
 * so a route named twice does not return its parked executions twice.
 */
const ROUTES = `SELECT DISTINCT * FROM unnest(@tenants::text[], @pipelines::text[], @releases::text[])
      AS r(tenant_id, pipeline_id, release_version)`;

/**
 * One statement for the whole claim: lock the candidates (parked ones of these routes first,
 * then the routable ones of the due index's head), park the rest of the head (their
 * `next_due_at` moves past any real instant, so later claims never scan past them; not
 * journaled: nothing happened to them), move the candidates to RUNNING under a new epoch (a
 * guarded UPDATE: the expected status), journal an `attempt_started` event each (its data
 * built from the updated row), and return each with the checkpoint its segment starts from,
 * and on every row (one row of NULLs when nothing was claimed) how many were parked. The UPDATE and the checkpoint read look rows up by
 * primary key (`= ANY(ARRAY(…))`, a correlated subquery), and the head is read through a
 * bounded window, so the plan stays a few index probes per claimed row however many
 * executions the table holds, also with PostgreSQL's generic plan (which does not know `@limit`).
 */
export const CLAIM = `WITH routes AS (${ROUTES}),
  waiting AS (
    SELECT parked.execution_id, 0 AS rank, parked.next_due_at FROM routes CROSS JOIN LATERAL (
      SELECT execution_id, next_due_at FROM executions AS e
      WHERE e.status IN ('QUEUED', 'WAIT_RETRY') AND e.next_due_at >= ${PARKED_DISPATCH_BASE}
        AND e.tenant_id = routes.tenant_id AND e.pipeline_id = routes.pipeline_id
        AND e.release_version = routes.release_version AND e.next_due_at = ${PARKED_NO_ROUTE}
      LIMIT @limit
      FOR UPDATE SKIP LOCKED) AS parked
    LIMIT @limit),
  head AS (
    SELECT execution_id, 1 AS rank, next_due_at, tenant_id, pipeline_id, release_version FROM executions
    WHERE status IN ('QUEUED', 'WAIT_RETRY') AND next_due_at <= @nowMs
    ORDER BY next_due_at LIMIT @window
    FOR UPDATE SKIP LOCKED),
  due AS (
    SELECT execution_id, rank, next_due_at FROM (
      SELECT execution_id, rank, next_due_at FROM waiting
      UNION ALL
      SELECT execution_id, rank, next_due_at FROM head
      WHERE (tenant_id, pipeline_id, release_version) IN (SELECT * FROM routes)) AS candidates
    ORDER BY rank, next_due_at LIMIT @limit),
  parked AS (
    UPDATE executions SET next_due_at = ${PARKED_NO_ROUTE}
    WHERE execution_id = ANY(ARRAY(
        SELECT execution_id FROM head
        WHERE (tenant_id, pipeline_id, release_version) NOT IN (SELECT * FROM routes)))
      AND status IN ('QUEUED', 'WAIT_RETRY')
    RETURNING 1),
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
  SELECT claimed.*, counted.parked_count FROM (
      SELECT moved.*, due.rank AS due_rank, due.next_due_at AS due_at, (
          SELECT output_json FROM step_outputs AS previous
          WHERE previous.execution_id = moved.execution_id AND previous.step_index = moved.step_index - 1
        ) AS previous_output_json
      FROM moved JOIN due ON due.execution_id = moved.execution_id) AS claimed
    RIGHT JOIN (SELECT count(*)::int AS parked_count FROM parked) AS counted ON true
  ORDER BY claimed.due_rank, claimed.due_at, claimed.execution_id`;

type ClaimedRow = ExecutionRow & { previous_output_json: string | null; parked_count: number };

/**
 * Claims due executions: the candidates are locked `FOR UPDATE SKIP LOCKED`, so coordinator
 * nodes claiming at once split the due work instead of queueing behind each other; each claim
 * is still a guarded UPDATE that bumps the fencing epoch, plus its `attempt_started` event.
 * Only executions of a route of this node are claimed; the rest of the head is parked first.
 */
export async function claimDue(db: Db, c: ClaimCommand): Promise<ClaimOutcome> {
  if (c.routes.length === 0 || c.limit <= 0) return { segments: [], parked: 0 };
  const found = await rows<ClaimedRow>(db, CLAIM, claimParams(c));
  // Nothing claimed still yields one row, of NULLs but for the parked count.
  const claimed = found.filter((r) => r.execution_id !== null);
  const segments = [];
  for (const r of claimed) {
    // A parent that expanded resumes at its aggregate, whose input is its items' outcomes.
    const input = r.items_total === null ? stepInput(r) : await itemOutcomes(db, r.execution_id);
    segments.push({ execution: executionFromRow(r), input });
  }
  return {
    segments,
    parked: found[0]?.parked_count ?? 0,
  };
}

/** The claim statements' parameters (the benchmark explains the statements with them). */
export const claimParams = (c: ClaimCommand): Record<string, unknown> => ({
  nowMs: c.nowMs,
  tenants: c.routes.map((r) => r.tenantId),
  pipelines: c.routes.map((r) => r.pipelineId),
  releases: c.routes.map((r) => r.releaseVersion),
  limit: c.limit,
  window: c.limit + PARK_WINDOW,
  owner: c.owner,
  leaseExpiresAtMs: c.nowMs + c.leaseMs,
  eventType: JournalEventType.ATTEMPT_STARTED,
});

/** See the SQLite store's `wakeParked`: those whose back-off has passed are due now. */
export const wakeParked = (db: Db, c: Route & { nowMs: number }): Promise<number> =>
  exec(
    db,
    `UPDATE executions SET next_due_at = @nowMs
     WHERE status IN ('QUEUED', 'WAIT_RETRY') AND next_due_at >= ${PARKED_DISPATCH_BASE}
       AND tenant_id = @tenantId AND pipeline_id = @pipelineId AND release_version = @releaseVersion
       AND next_due_at <= ${PARKED_DISPATCH_BASE} + @nowMs::bigint`,
    c,
  );

/** The input of the step a segment starts at: the previous step's checkpoint, or the execution input. */
function stepInput(r: ClaimedRow): unknown {
  if (r.step_index === 0) return parseJson(r.input_json);
  // An item's first step has no checkpoint before it: its input is the item.
  if (r.previous_output_json === null && r.parent_execution_id !== null) return parseJson(r.input_json);
  if (r.previous_output_json === null)
    throw new Error(`execution ${r.execution_id} has no checkpoint for step ${r.step_index - 1}`);
  return parseJson(r.previous_output_json);
}
