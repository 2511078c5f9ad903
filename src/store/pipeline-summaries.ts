import type { ExecutionStatus } from '../domain/execution-status.ts';

/** What `GET …/pipelines` shows of one pipeline: its releases, the active one, its live work. */
export interface PipelineSummaryRecord {
  readonly pipelineId: string;
  /** How many releases are registered. */
  readonly releaseCount: number;
  /** The release named by the latest activation; null when none was activated. */
  readonly activeReleaseVersion: string | null;
  /** Executions not yet finished, plus those in the DLQ, by status (a status with none is absent). */
  readonly liveCounts: Partial<Record<ExecutionStatus, number>>;
}

/**
 * The statuses counted: work still under way, and the DLQ (waiting for a person). Finished
 * executions are left out: counting them would scan every execution a tenant ever ran.
 */
export const LIVE_STATUSES = ['QUEUED', 'RUNNING', 'WAITING_EXTERNAL', 'WAIT_RETRY', 'DLQ'] as const;

/** Both dialects' SQL: named parameters (@tenantId), one row per registered pipeline. */
export const PIPELINES_SQL = `SELECT p.pipeline_id AS pipeline_id, COUNT(*) AS release_count,
    (SELECT a.release_version FROM release_activations a
      WHERE a.tenant_id = p.tenant_id AND a.pipeline_id = p.pipeline_id
      ORDER BY a.seq DESC LIMIT 1) AS active_release
  FROM releases p WHERE p.tenant_id = @tenantId
  GROUP BY p.tenant_id, p.pipeline_id ORDER BY p.pipeline_id`;

/** Live executions per pipeline and status (the tenant-and-status index serves it). */
export const LIVE_COUNTS_SQL = `SELECT pipeline_id, status, COUNT(*) AS n FROM executions
  WHERE tenant_id = @tenantId AND status IN (${LIVE_STATUSES.map((s) => `'${s}'`).join(', ')})
  GROUP BY pipeline_id, status`;

export interface PipelineRow {
  pipeline_id: string;
  release_count: number | string;
  active_release: string | null;
}
export interface LiveCountRow {
  pipeline_id: string;
  status: ExecutionStatus;
  n: number | string;
}

/** The two queries' rows as summaries (PostgreSQL's COUNT arrives as a string). */
export function pipelineSummaries(
  pipelines: readonly PipelineRow[],
  counts: readonly LiveCountRow[],
): PipelineSummaryRecord[] {
  return pipelines.map((p) => ({
    pipelineId: p.pipeline_id,
    releaseCount: Number(p.release_count),
    activeReleaseVersion: p.active_release,
    liveCounts: Object.fromEntries(
      counts.filter((c) => c.pipeline_id === p.pipeline_id).map((c) => [c.status, Number(c.n)]),
    ),
  }));
}
