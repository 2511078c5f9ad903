import { ExecutionStatus, isTerminal } from '../domain/execution-status.ts';

/** A release that still has executions to finish, and how many. */
export interface LiveRelease {
  readonly tenantId: string;
  readonly pipelineId: string;
  readonly releaseVersion: string;
  /** Its non-terminal executions: QUEUED, RUNNING, WAITING_EXTERNAL, WAIT_RETRY. */
  readonly live: number;
}

/** The statuses an execution can still leave: whoever hosts its release has work to do. */
export const LIVE_STATUSES: readonly ExecutionStatus[] = Object.values(ExecutionStatus).filter(
  (status) => !isTerminal(status),
);

/**
 * One query for both dialects: `executions_by_tenant_status` leads with (tenant, status), so each
 * live status is a range of the index, however many terminal executions the store keeps.
 */
export const LIVE_RELEASES_SQL = `SELECT tenant_id, pipeline_id, release_version, COUNT(*) AS live
  FROM executions WHERE status IN (${LIVE_STATUSES.map((s) => `'${s}'`).join(', ')})
  GROUP BY tenant_id, pipeline_id, release_version
  ORDER BY tenant_id, pipeline_id, release_version`;

export interface LiveReleaseRow {
  tenant_id: string;
  pipeline_id: string;
  release_version: string;
  live: number | string;
}

export const liveReleaseFromRow = (r: LiveReleaseRow): LiveRelease => ({
  tenantId: r.tenant_id,
  pipelineId: r.pipeline_id,
  releaseVersion: r.release_version,
  // PostgreSQL returns COUNT(*) as a bigint string.
  live: Number(r.live),
});
