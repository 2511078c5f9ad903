import type { ExecutionRecord } from '../records.ts';
import {
  dlqGroupFromRow,
  dlqGroupsSql,
  type DlqGroupRecord,
  type DlqGroupRow,
  type DlqListFilter,
} from '../dlq-port.ts';
import { executionFromRow, type ExecutionRow } from '../rows.ts';
import { rows, type Db } from './sql.ts';

/**
 * `executions_dlq` read backwards from the keyset position (a row comparison: one index range);
 * absent filters and an absent position are NULL.
 */
const LIST_DLQ = `SELECT * FROM executions
     WHERE tenant_id = @tenantId AND status = 'DLQ'
       AND (@afterAt::bigint IS NULL OR (updated_at, execution_id) < (@afterAt, @afterId::text))
       AND (@pipelineId::text IS NULL OR pipeline_id = @pipelineId)
       AND (@reason::text IS NULL OR dlq_reason = @reason)
       AND (@fingerprint::text IS NULL OR failure_fingerprint = @fingerprint)
       AND (@errorCode::text IS NULL OR error_code = @errorCode)
       AND (@releaseVersion::text IS NULL OR release_version = @releaseVersion)
     ORDER BY updated_at DESC, execution_id DESC LIMIT @limit`;

const GROUPS = dlqGroupsSql('@pipelineId::text');

export async function listDlq(db: Db, tenantId: string, f: DlqListFilter): Promise<ExecutionRecord[]> {
  const found = await rows<ExecutionRow>(db, LIST_DLQ, {
    tenantId,
    pipelineId: f.pipelineId ?? null,
    reason: f.reason ?? null,
    fingerprint: f.fingerprint ?? null,
    errorCode: f.errorCode ?? null,
    releaseVersion: f.releaseVersion ?? null,
    afterAt: f.after?.dlqAtMs ?? null,
    afterId: f.after?.executionId ?? null,
    limit: f.limit,
  });
  return found.map(executionFromRow);
}

export async function dlqGroups(
  db: Db,
  tenantId: string,
  f: { pipelineId?: string | undefined; limit: number },
): Promise<DlqGroupRecord[]> {
  const found = await rows<DlqGroupRow>(db, GROUPS, {
    tenantId,
    pipelineId: f.pipelineId ?? null,
    limit: f.limit,
  });
  return found.map(dlqGroupFromRow);
}
