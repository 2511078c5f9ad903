import type { ExecutionRecord } from '../records.ts';
import type { ExecutionListFilter } from '../store-port.ts';
import { executionFromRow, type ExecutionRow } from '../rows.ts';
import { rows, type Db } from './sql.ts';

/**
 * The filters both statements share. The keyset condition is a row comparison, which
 * PostgreSQL turns into one index range on (created_at, execution_id); absent filters are NULL.
 */
const filters = (x: string) => `${x}tenant_id = @tenantId
       AND (@createdFrom::bigint IS NULL OR ${x}created_at >= @createdFrom)
       AND (@createdTo::bigint IS NULL OR ${x}created_at < @createdTo)
       AND (@afterCreated::bigint IS NULL OR (${x}created_at, ${x}execution_id) < (@afterCreated, @afterId::text))
       AND (@pipelineId::text IS NULL OR ${x}pipeline_id = @pipelineId)
       AND (@releaseVersion::text IS NULL OR ${x}release_version = @releaseVersion)
       AND (@errorCode::text IS NULL OR ${x}error_code = @errorCode)
       AND (@parentId::text IS NULL OR ${x}parent_execution_id = @parentId)
       AND (@scheduleId::text IS NULL OR ${x}schedule_id = @scheduleId)`;

/** Every status: `executions_by_tenant` read backwards, stopping at `@limit`. */
export const LIST_ANY_STATUS = `SELECT * FROM executions
     WHERE ${filters('')}
     ORDER BY created_at DESC, execution_id DESC LIMIT @limit`;

/**
 * Some statuses: for each one, at most `@limit` rows read backwards from
 * `executions_by_tenant_status` (a LATERAL subquery per status), then the newest `@limit` of
 * those: a page costs the same whether the status is rare or holds most executions.
 */
export const LIST_SOME_STATUSES = `SELECT e.* FROM unnest(@statuses::text[]) AS s (status)
     CROSS JOIN LATERAL (
       SELECT x.* FROM executions AS x
       WHERE x.status = s.status AND ${filters('x.')}
       ORDER BY x.created_at DESC, x.execution_id DESC LIMIT @limit) AS e
     ORDER BY e.created_at DESC, e.execution_id DESC LIMIT @limit`;

/** A page of a tenant's executions, newest first, strictly after the keyset position `f.after`. */
export async function listExecutions(
  db: Db,
  tenantId: string,
  f: ExecutionListFilter,
): Promise<ExecutionRecord[]> {
  const params = {
    tenantId,
    pipelineId: f.pipelineId ?? null,
    releaseVersion: f.releaseVersion ?? null,
    errorCode: f.errorCode ?? null,
    parentId: f.parentExecutionId ?? null,
    scheduleId: f.scheduleId ?? null,
    createdFrom: f.createdFromMs ?? null,
    createdTo: f.createdToMs ?? null,
    afterCreated: f.after?.createdAtMs ?? null,
    afterId: f.after?.executionId ?? null,
    limit: f.limit,
  };
  const found =
    f.statuses === undefined
      ? await rows<ExecutionRow>(db, LIST_ANY_STATUS, params)
      : // Each status once: a repeated one would return its executions twice.
        await rows<ExecutionRow>(db, LIST_SOME_STATUSES, { ...params, statuses: [...new Set(f.statuses)] });
  return found.map(executionFromRow);
}
