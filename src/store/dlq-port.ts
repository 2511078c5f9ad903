import type { DlqReason } from '../domain/execution-status.ts';
import type { ExecutionRecord } from './records.ts';

/** Filters of `listDlq`; every one given narrows the list (they are ANDed). */
export interface DlqListFilter {
  readonly pipelineId?: string | undefined;
  readonly reason?: DlqReason | undefined;
  readonly fingerprint?: string | undefined;
  readonly errorCode?: string | undefined;
  readonly releaseVersion?: string | undefined;
  /** The last entry of the previous page: the page starts strictly after it. */
  readonly after?: { readonly dlqAtMs: number; readonly executionId: string } | undefined;
  readonly limit: number;
}

/** The DLQ entries of one fingerprint (of one pipeline). */
export interface DlqGroupRecord {
  /** Null: executions that entered the DLQ before fingerprints were kept, one group per pipeline. */
  readonly fingerprint: string | null;
  readonly pipelineId: string;
  readonly stepId: string | null;
  readonly errorCode: string | null;
  /** The group's reason; the greatest one when its entries differ (the fingerprint leaves it out). */
  readonly reason: DlqReason | null;
  readonly count: number;
  readonly firstAtMs: number;
  readonly lastAtMs: number;
  /** One of the group's executions (the greatest id): where to look at the failure. */
  readonly sampleExecutionId: string;
}

/**
 * The DLQ as a list (docs/dlq.md). A DLQ execution's row is not updated until a re-drive takes
 * it out, so its `updatedAtMs` is when it entered the DLQ: the order of the listing.
 */
export interface DlqQueries {
  /** A page of a tenant's DLQ executions, newest first (`updatedAtMs` DESC, then `executionId` DESC). */
  listDlq(tenantId: string, filter: DlqListFilter): Promise<ExecutionRecord[]>;
  /** The tenant's DLQ executions counted by fingerprint, largest group first, at most `limit` groups. */
  dlqGroups(
    tenantId: string,
    filter: { pipelineId?: string | undefined; limit: number },
  ): Promise<DlqGroupRecord[]>;
}

/** The row one group is read as, in both dialects (PostgreSQL counts as bigint text). */
export interface DlqGroupRow {
  fingerprint: string | null;
  pipeline_id: string;
  step_id: string | null;
  error_code: string | null;
  reason: string | null;
  count: number | string;
  first_at: number | string;
  last_at: number | string;
  sample_execution_id: string;
}

export function dlqGroupFromRow(r: DlqGroupRow): DlqGroupRecord {
  // Without a fingerprint the group mixes causes: its step, code and reason say nothing.
  const known = r.fingerprint !== null;
  return {
    fingerprint: r.fingerprint,
    pipelineId: r.pipeline_id,
    stepId: known ? r.step_id : null,
    errorCode: known ? r.error_code : null,
    reason: known ? (r.reason as DlqReason | null) : null,
    count: Number(r.count),
    firstAtMs: Number(r.first_at),
    lastAtMs: Number(r.last_at),
    sampleExecutionId: r.sample_execution_id,
  };
}

/** The groups query, the same text in both dialects (named parameters). */
export const dlqGroupsSql = (nullText: string) => `SELECT failure_fingerprint AS fingerprint, pipeline_id,
       MAX(failed_step_id) AS step_id, MAX(error_code) AS error_code, MAX(dlq_reason) AS reason,
       COUNT(*) AS count, MIN(updated_at) AS first_at, MAX(updated_at) AS last_at,
       MAX(execution_id) AS sample_execution_id
     FROM executions
     WHERE tenant_id = @tenantId AND status = 'DLQ' AND (${nullText} IS NULL OR pipeline_id = @pipelineId)
     GROUP BY failure_fingerprint, pipeline_id
     ORDER BY COUNT(*) DESC, MAX(updated_at) DESC, failure_fingerprint, pipeline_id
     LIMIT @limit`;
