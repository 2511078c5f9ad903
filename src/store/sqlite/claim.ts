import { JournalEventType } from '../../domain/journal-events.ts';
import { PARKED_DISPATCH_BASE, PARKED_NO_ROUTE, routeKey, type Route } from '../../domain/parking.ts';
import type { ClaimCommand, ClaimOutcome, ClaimedSegment } from '../store-port.ts';
import { appendEvent } from './journal.ts';
import { itemOutcomes } from './item-commands.ts';
import { executionFromRow, parseJson, type ExecutionRow } from '../rows.ts';
import type { Statements } from './statements.ts';

type Candidate = Pick<
  ExecutionRow,
  'execution_id' | 'status' | 'lease_epoch' | 'tenant_id' | 'pipeline_id' | 'release_version'
>;

/** Rows of the due index's head looked at per claim, beyond the ones claimed. */
export const PARK_WINDOW = 64;

/** The head of the due index, in due order: `(nowMs, window)`. Each row is claimed or parked. */
export const CLAIM_CANDIDATES = `SELECT execution_id, status, lease_epoch, tenant_id, pipeline_id, release_version
       FROM executions
       WHERE status IN ('QUEUED', 'WAIT_RETRY') AND next_due_at <= ?
       ORDER BY next_due_at LIMIT ?`;

/**
 * Executions another node parked for want of a worker, of one route: `(tenant, pipeline,
 * release, limit)`. The `>=` term is the parked index's own condition, so SQLite uses it.
 */
export const PARKED_FOR_ROUTE = `SELECT execution_id, status, lease_epoch, tenant_id, pipeline_id, release_version
       FROM executions
       WHERE status IN ('QUEUED', 'WAIT_RETRY') AND next_due_at >= ${PARKED_DISPATCH_BASE}
         AND tenant_id = ? AND pipeline_id = ? AND release_version = ? AND next_due_at = ${PARKED_NO_ROUTE}
       LIMIT ?`;

/**
 * Claims due executions a worker of this node can run: each is a guarded UPDATE (expected
 * status and epoch) that bumps the fencing epoch, plus its `attempt_started` event. Those of
 * the due index's head that none can run are parked (not journaled: nothing happened to them),
 * so they never make later claims scan past them; parked ones of this node's routes are
 * claimed first. The work is bounded by `limit + PARK_WINDOW` rows however many are parked.
 */
export function claimDue(sql: Statements, c: ClaimCommand): ClaimOutcome {
  if (c.routes.length === 0 || c.limit <= 0) return { segments: [], parked: 0 };
  const routes = new Set(c.routes.map(routeKey));
  const waiting: Candidate[] = [];
  for (const r of c.routes) {
    if (waiting.length >= c.limit) break;
    waiting.push(
      ...(sql
        .get(PARKED_FOR_ROUTE)
        .all(r.tenantId, r.pipelineId, r.releaseVersion, c.limit - waiting.length) as Candidate[]),
    );
  }
  const head = sql.get(CLAIM_CANDIDATES).all(c.nowMs, c.limit + PARK_WINDOW) as Candidate[];
  const isRoutable = (x: Candidate) =>
    routes.has(
      routeKey({ tenantId: x.tenant_id, pipelineId: x.pipeline_id, releaseVersion: x.release_version }),
    );
  let parked = 0;
  const park = sql.get(
    `UPDATE executions SET next_due_at = ${PARKED_NO_ROUTE}
     WHERE execution_id = ? AND status = ? AND lease_epoch = ?`,
  );
  for (const x of head.filter((x) => !isRoutable(x)))
    parked += park.run(x.execution_id, x.status, x.lease_epoch).changes;
  const candidates = [...waiting, ...head.filter(isRoutable)].slice(0, c.limit);
  const segments: ClaimedSegment[] = [];
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
    segments.push({ execution: executionFromRow(row), input: stepInput(sql, row) });
  }
  return { segments, parked };
}

/**
 * Wakes the executions of one route parked after dispatch errors (a worker for it registered
 * or heartbeated) whose back-off has passed: due now. The others stay parked, and visible as
 * such, until a later heartbeat. Not journaled.
 */
export function wakeParked(sql: Statements, c: Route & { nowMs: number }): number {
  return sql
    .get(
      `UPDATE executions SET next_due_at = ?
       WHERE status IN ('QUEUED', 'WAIT_RETRY') AND next_due_at >= ${PARKED_DISPATCH_BASE}
         AND tenant_id = ? AND pipeline_id = ? AND release_version = ?
         AND next_due_at <= ${PARKED_DISPATCH_BASE} + ?`,
    )
    .run(c.nowMs, c.tenantId, c.pipelineId, c.releaseVersion, c.nowMs).changes;
}

/** The input of the step a segment starts at: the previous step's checkpoint, or the execution input. */
function stepInput(sql: Statements, row: ExecutionRow): unknown {
  // A parent that expanded resumes at its aggregate, whose input is its items' outcomes.
  if (row.items_total !== null) return itemOutcomes(sql, row.execution_id);
  if (row.step_index === 0) return parseJson(row.input_json);
  const previous = sql
    .get('SELECT output_json FROM step_outputs WHERE execution_id = ? AND step_index = ?')
    .get(row.execution_id, row.step_index - 1) as { output_json: string } | undefined;
  // An item's first step has no checkpoint before it: its input is the item.
  if (!previous && row.parent_execution_id !== null) return parseJson(row.input_json);
  if (!previous)
    throw new Error(`execution ${row.execution_id} has no checkpoint for step ${row.step_index - 1}`);
  return parseJson(previous.output_json);
}
