import type { ExecutionRecord } from '../records.ts';
import {
  dlqGroupFromRow,
  dlqGroupsSql,
  type DlqGroupRecord,
  type DlqGroupRow,
  type DlqListFilter,
} from '../dlq-port.ts';
import { executionFromRow, type ExecutionRow } from '../rows.ts';
import type { Statements } from './statements.ts';

/**
 * `executions_dlq` read backwards from the keyset position. Absent filters are NULL; an absent
 * position is bound as past every instant and id, so the keyset condition always seeks.
 */
const LIST_DLQ = `SELECT * FROM executions
     WHERE tenant_id = @tenantId AND status = 'DLQ'
       AND updated_at <= @afterAt
       AND (updated_at < @afterAt OR (updated_at = @afterAt AND execution_id < @afterId))
       AND (@pipelineId IS NULL OR pipeline_id = @pipelineId)
       AND (@reason IS NULL OR dlq_reason = @reason)
       AND (@fingerprint IS NULL OR failure_fingerprint = @fingerprint)
       AND (@errorCode IS NULL OR error_code = @errorCode)
       AND (@releaseVersion IS NULL OR release_version = @releaseVersion)
     ORDER BY updated_at DESC, execution_id DESC LIMIT @limit`;

const GROUPS = dlqGroupsSql('@pipelineId');

export function listDlq(sql: Statements, tenantId: string, f: DlqListFilter): ExecutionRecord[] {
  const rows = sql.get(LIST_DLQ).all({
    tenantId,
    pipelineId: f.pipelineId ?? null,
    reason: f.reason ?? null,
    fingerprint: f.fingerprint ?? null,
    errorCode: f.errorCode ?? null,
    releaseVersion: f.releaseVersion ?? null,
    afterAt: f.after?.dlqAtMs ?? Number.MAX_SAFE_INTEGER,
    afterId: f.after?.executionId ?? '\u{10FFFF}',
    limit: f.limit,
  }) as ExecutionRow[];
  return rows.map(executionFromRow);
}

export function dlqGroups(
  sql: Statements,
  tenantId: string,
  f: { pipelineId?: string | undefined; limit: number },
): DlqGroupRecord[] {
  const rows = sql.get(GROUPS).all({ tenantId, pipelineId: f.pipelineId ?? null, limit: f.limit });
  return (rows as DlqGroupRow[]).map(dlqGroupFromRow);
}
