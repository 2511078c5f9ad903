import type { ExecutionRecord, InteractionRecord, JournalEvent } from '../records.ts';
import type { PendingFilter } from '../store-port.ts';
import {
  executionFromRow,
  interactionFromRow,
  parseJson,
  type ExecutionRow,
  type InteractionRow,
} from '../rows.ts';
import { row, rows, type Db } from './sql.ts';

/** The executions of `executionIds` that exist, by id: one statement for many point reads. */
export async function getExecutions(db: Db, executionIds: string[]): Promise<Map<string, ExecutionRecord>> {
  const found = await rows<ExecutionRow>(
    db,
    'SELECT * FROM executions WHERE execution_id = ANY(@ids::text[])',
    {
      ids: executionIds,
    },
  );
  return new Map(found.map((r) => [r.execution_id, executionFromRow(r)]));
}

export async function getStepOutputs(
  db: Db,
  executionId: string,
  belowStepIndex: number,
): Promise<{ stepIndex: number; output: unknown }[]> {
  const found = await rows<{ step_index: number; output_json: string }>(
    db,
    `SELECT step_index, output_json FROM step_outputs
     WHERE execution_id = @executionId AND step_index < @belowStepIndex ORDER BY step_index`,
    { executionId, belowStepIndex },
  );
  return found.map((r) => ({ stepIndex: r.step_index, output: parseJson(r.output_json) }));
}

export async function getStepOutput(
  db: Db,
  executionId: string,
  stepIndex: number,
): Promise<{ output: unknown } | undefined> {
  const r = await row<{ output_json: string }>(
    db,
    'SELECT output_json FROM step_outputs WHERE execution_id = @executionId AND step_index = @stepIndex',
    { executionId, stepIndex },
  );
  return r && { output: parseJson(r.output_json) };
}

/** The interactions of `interactionIds` that exist, by id: one statement for many point reads. */
export async function getInteractions(
  db: Db,
  interactionIds: string[],
): Promise<Map<string, InteractionRecord>> {
  const found = await rows<InteractionRow>(
    db,
    'SELECT * FROM await_interactions WHERE interaction_id = ANY(@ids::text[])',
    { ids: interactionIds },
  );
  return new Map(found.map((r) => [r.interaction_id, interactionFromRow(r)]));
}

export async function findInteractionByCorrelation(
  db: Db,
  tenantId: string,
  correlationId: string,
): Promise<InteractionRecord | undefined> {
  const r = await row<InteractionRow>(
    db,
    'SELECT * FROM await_interactions WHERE tenant_id = @tenantId AND correlation_id = @correlationId',
    { tenantId, correlationId },
  );
  return r && interactionFromRow(r);
}

/** Open interactions of a tenant in deadline order; each filter narrows through its own index. */
export async function listPendingInteractions(
  db: Db,
  tenantId: string,
  f: PendingFilter,
): Promise<InteractionRecord[]> {
  const found = await rows<InteractionRow>(db, PENDING_INTERACTIONS, pendingInteractionsParams(tenantId, f));
  return found.map(interactionFromRow);
}

/**
 * One text for every filter: the statement stays unnamed (see sql.ts), so PostgreSQL plans
 * each call with its values and picks the filter's index.
 */
export const PENDING_INTERACTIONS = `SELECT * FROM await_interactions
     WHERE tenant_id = @tenantId AND status = 'WAITING'
       AND (@assignee::text IS NULL OR assignee = @assignee)
       AND (@group::text IS NULL OR group_name = @group)
       AND (@stepId::text IS NULL OR step_id = @stepId)
     ORDER BY deadline_at, created_at, interaction_id LIMIT @limit`;

export const pendingInteractionsParams = (tenantId: string, f: PendingFilter): Record<string, unknown> => ({
  tenantId,
  assignee: f.assignee ?? null,
  group: f.group ?? null,
  stepId: f.stepId ?? null,
  limit: f.limit,
});

export async function readJournal(
  db: Db,
  executionId: string,
  afterSeq: number,
  limit: number,
): Promise<JournalEvent[]> {
  const found = await rows<{
    execution_id: string;
    seq: number;
    type: string;
    at: number;
    data_json: string;
  }>(
    db,
    'SELECT * FROM journal WHERE execution_id = @executionId AND seq > @afterSeq ORDER BY seq LIMIT @limit',
    { executionId, afterSeq, limit },
  );
  return found.map((r) => ({
    executionId: r.execution_id,
    seq: r.seq,
    type: r.type,
    atMs: r.at,
    data: parseJson(r.data_json) as Record<string, unknown>,
  }));
}

/** The earliest due time, lease expiry, deadline or schedule slot; each term reads one partial index. */
export async function nextWakeAtMs(db: Db): Promise<number | undefined> {
  const r = await row<{ at: number | null }>(
    db,
    `SELECT MIN(t) AS at FROM (
       SELECT MIN(next_due_at) AS t FROM executions WHERE status IN ('QUEUED', 'WAIT_RETRY')
       UNION ALL SELECT MIN(lease_expires_at) FROM executions WHERE status = 'RUNNING'
       UNION ALL SELECT MIN(deadline_at) FROM await_interactions WHERE status = 'WAITING'
       UNION ALL SELECT MIN(next_fire_at) FROM schedules WHERE NOT paused) AS wake`,
  );
  return r?.at ?? undefined;
}
