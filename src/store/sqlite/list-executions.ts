import type { ExecutionRecord } from '../records.ts';
import type { ExecutionListFilter } from '../store-port.ts';
import { executionFromRow, type ExecutionRow } from '../rows.ts';
import type { Statements } from './statements.ts';

/**
 * The filters both statements share. Absent bounds are bound as the widest values rather than
 * NULL, so `created_at` always has a range to seek on; `created_at <= @afterCreated` follows
 * from the keyset condition and is spelled out for the same reason.
 */
const filters = (x: string) => `${x}tenant_id = @tenantId
         AND ${x}created_at >= @createdFrom AND ${x}created_at < @createdTo
         AND ${x}created_at <= @afterCreated
         AND (${x}created_at < @afterCreated OR (${x}created_at = @afterCreated AND ${x}execution_id < @afterId))
         AND (@pipelineId IS NULL OR ${x}pipeline_id = @pipelineId)
         AND (@releaseVersion IS NULL OR ${x}release_version = @releaseVersion)
         AND (@errorCode IS NULL OR ${x}error_code = @errorCode)
         AND (@parentId IS NULL OR ${x}parent_execution_id = @parentId)
         AND (@scheduleId IS NULL OR ${x}schedule_id = @scheduleId)`;

/** Every status: `executions_by_tenant` read backwards, stopping at `@limit`. */
export const LIST_ANY_STATUS = `SELECT * FROM executions
       WHERE ${filters('')}
       ORDER BY created_at DESC, execution_id DESC LIMIT @limit`;

/**
 * Some statuses: for each one, at most `@limit` rows read backwards from
 * `executions_by_tenant_status`, then the newest `@limit` of those. A page costs the same
 * whether the status is rare (DLQ) or holds most of the tenant's executions (SUCCEEDED); a
 * plain `status IN (…)` filter would either scan past every other status or sort them all.
 */
export const LIST_SOME_STATUSES = `SELECT e.* FROM json_each(@statuses) AS s CROSS JOIN executions AS e
       WHERE e.execution_id IN (
         SELECT x.execution_id FROM executions AS x INDEXED BY executions_by_tenant_status
         WHERE x.status = s.value AND ${filters('x.')}
         ORDER BY x.created_at DESC, x.execution_id DESC LIMIT @limit)
       ORDER BY e.created_at DESC, e.execution_id DESC LIMIT @limit`;

// What an absent bound is bound as: past every created_at (epoch ms) and every execution id.
const LATEST = Number.MAX_SAFE_INTEGER;
const EARLIEST = Number.MIN_SAFE_INTEGER;
const AFTER_EVERY_ID = '\u{10FFFF}';

/** A page of a tenant's executions, newest first, strictly after the keyset position `f.after`. */
export function listExecutions(sql: Statements, tenantId: string, f: ExecutionListFilter): ExecutionRecord[] {
  const params = {
    tenantId,
    pipelineId: f.pipelineId ?? null,
    releaseVersion: f.releaseVersion ?? null,
    errorCode: f.errorCode ?? null,
    parentId: f.parentExecutionId ?? null,
    scheduleId: f.scheduleId ?? null,
    createdFrom: f.createdFromMs ?? EARLIEST,
    createdTo: f.createdToMs ?? LATEST,
    afterCreated: f.after?.createdAtMs ?? LATEST,
    afterId: f.after?.executionId ?? AFTER_EVERY_ID,
    limit: f.limit,
  };
  const rows = (
    f.statuses === undefined
      ? sql.get(LIST_ANY_STATUS).all(params)
      : // Each status once: a repeated one would return its executions twice.
        sql.get(LIST_SOME_STATUSES).all({ ...params, statuses: JSON.stringify([...new Set(f.statuses)]) })
  ) as ExecutionRow[];
  return rows.map(executionFromRow);
}
