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
export function listPendingInteractions(
  sql: Statements,
  tenantId: string,
  f: PendingFilter,
): InteractionRecord[] {
  const rows = sql
    .get(
      `SELECT * FROM await_interactions
       WHERE tenant_id = @tenantId AND status = 'WAITING'
         AND (@assignee IS NULL OR assignee = @assignee)
         AND (@group IS NULL OR group_name = @group)
         AND (@stepId IS NULL OR step_id = @stepId)
       ORDER BY deadline_at, created_at, interaction_id LIMIT @limit`,
    )
    .all({
      tenantId,
      assignee: f.assignee ?? null,
      group: f.group ?? null,
      stepId: f.stepId ?? null,
      limit: f.limit,
    }) as InteractionRow[];
  return rows.map(interactionFromRow);
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

/** The earliest due time, lease expiry or deadline; each term reads one partial index. */
export function nextWakeAtMs(sql: Statements): number | undefined {
  const row = sql
    .get(
      `SELECT MIN(t) AS at FROM (
         SELECT MIN(next_due_at) AS t FROM executions WHERE status IN ('QUEUED', 'WAIT_RETRY')
         UNION ALL SELECT MIN(lease_expires_at) FROM executions WHERE status = 'RUNNING'
         UNION ALL SELECT MIN(deadline_at) FROM await_interactions WHERE status = 'WAITING')`,
    )
    .get() as { at: number | null };
  return row.at ?? undefined;
}
