import type { ExecutionRecord, InteractionRecord, JournalEvent } from '../records.ts';
import type { PendingFilter } from '../store-port.ts';
import {
  executionFromRow,
  interactionFromRow,
  parseJson,
  type ExecutionRow,
  type InteractionRow,
} from '../rows.ts';
import type { Statements } from './statements.ts';

export function getExecution(
  sql: Statements,
  tenantId: string,
  executionId: string,
): ExecutionRecord | undefined {
  const row = sql
    .get('SELECT * FROM executions WHERE tenant_id = ? AND execution_id = ?')
    .get(tenantId, executionId) as ExecutionRow | undefined;
  return row && executionFromRow(row);
}

export function getStepOutput(
  sql: Statements,
  executionId: string,
  stepIndex: number,
): { output: unknown } | undefined {
  const row = sql
    .get('SELECT output_json FROM step_outputs WHERE execution_id = ? AND step_index = ?')
    .get(executionId, stepIndex) as { output_json: string } | undefined;
  return row && { output: parseJson(row.output_json) };
}

export function getStepOutputs(
  sql: Statements,
  executionId: string,
  belowStepIndex: number,
): { stepIndex: number; output: unknown }[] {
  const rows = sql
    .get(
      'SELECT step_index, output_json FROM step_outputs WHERE execution_id = ? AND step_index < ? ORDER BY step_index',
    )
    .all(executionId, belowStepIndex) as { step_index: number; output_json: string }[];
  return rows.map((r) => ({ stepIndex: r.step_index, output: parseJson(r.output_json) }));
}

export function findInteraction(
  sql: Statements,
  tenantId: string,
  ref: { interactionId: string } | { correlationId: string },
): InteractionRecord | undefined {
  const row = (
    'interactionId' in ref
      ? sql
          .get('SELECT * FROM await_interactions WHERE tenant_id = ? AND interaction_id = ?')
          .get(tenantId, ref.interactionId)
      : sql
          .get('SELECT * FROM await_interactions WHERE tenant_id = ? AND correlation_id = ?')
          .get(tenantId, ref.correlationId)
  ) as InteractionRow | undefined;
  return row && interactionFromRow(row);
}

/** Open interactions of a tenant in deadline order; each filter narrows through its own index. */
const PENDING_INDEX: Record<string, string> = {
  assignee: 'interactions_pending_by_assignee',
  group_name: 'interactions_pending_by_group',
  step_id: 'interactions_pending_by_step',
};

export function listPendingInteractions(
  sql: Statements,
  tenantId: string,
  f: PendingFilter,
): InteractionRecord[] {
  const q = pendingInteractionsQuery(tenantId, f);
  return (sql.get(q.sql).all(q.params) as InteractionRow[]).map(interactionFromRow);
}

/** The pending-interactions statement and its parameters for a filter (the benchmark explains it). */
export function pendingInteractionsQuery(
  tenantId: string,
  f: PendingFilter,
): { sql: string; params: Record<string, unknown> } {
  // One statement text per combination of filters, not `(@group IS NULL OR …)`: SQLite plans
  // a prepared statement without its parameters, so the generic form never uses the
  // per-filter indexes and scans every waiting interaction of the tenant. Without statistics
  // the planner also prefers the unfiltered index (it saves the sort), so the first filter's
  // index is named.
  const filters = { assignee: f.assignee, group_name: f.group, step_id: f.stepId };
  const set = Object.keys(filters).filter((column) => filters[column as keyof typeof filters] !== undefined);
  const conditions = set.map((column) => ` AND ${column} = @${column}`).join('');
  const index = set[0] ? ` INDEXED BY ${PENDING_INDEX[set[0]]}` : '';
  return {
    sql: `SELECT * FROM await_interactions${index}
       WHERE tenant_id = @tenantId AND status = 'WAITING'${conditions}
       ORDER BY deadline_at, created_at, interaction_id LIMIT @limit`,
    params: {
      tenantId,
      ...Object.fromEntries(set.map((column) => [column, filters[column as keyof typeof filters]])),
      limit: f.limit,
    },
  };
}

export function readJournal(
  sql: Statements,
  executionId: string,
  afterSeq: number,
  limit: number,
): JournalEvent[] {
  const rows = sql
    .get('SELECT * FROM journal WHERE execution_id = ? AND seq > ? ORDER BY seq LIMIT ?')
    .all(executionId, afterSeq, limit) as {
    execution_id: string;
    seq: number;
    type: string;
    at: number;
    data_json: string;
  }[];
  return rows.map((r) => ({
    executionId: r.execution_id,
    seq: r.seq,
    type: r.type,
    atMs: r.at,
    data: parseJson(r.data_json) as Record<string, unknown>,
  }));
}

/** The earliest due time, lease expiry, deadline or schedule slot; each term reads one partial index. */
export function nextWakeAtMs(sql: Statements): number | undefined {
  const row = sql
    .get(
      `SELECT MIN(t) AS at FROM (
         SELECT MIN(next_due_at) AS t FROM executions WHERE status IN ('QUEUED', 'WAIT_RETRY')
         UNION ALL SELECT MIN(lease_expires_at) FROM executions WHERE status = 'RUNNING'
         UNION ALL SELECT MIN(deadline_at) FROM await_interactions WHERE status = 'WAITING'
         UNION ALL SELECT MIN(next_fire_at) FROM schedules WHERE paused = 0)`,
    )
    .get() as { at: number | null };
  return row.at ?? undefined;
}
