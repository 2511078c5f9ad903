import type { AwaitAdmissionRecord } from './store-port.ts';

/**
 * What an operator's dashboard reads from the store at each scrape: grouped counts and the
 * oldest instants, never rows. Every statement is an aggregate over an index (or a small
 * table), so a scrape costs a few index scans whatever the store holds. The statements are
 * plain SQL both dialects run as they are (`@name` parameters; PostgreSQL's are rewritten).
 */

/** Executions of one tenant, pipeline and status. */
export interface StatusCount {
  readonly tenantId: string;
  readonly pipelineId: string;
  readonly status: string;
  readonly count: number;
}

export interface OperationalCounts {
  readonly executions: readonly StatusCount[];
  /** QUEUED and WAIT_RETRY executions due now (parked ones, waiting for a worker, are not due). */
  readonly due: { readonly count: number; readonly oldestDueAtMs: number | undefined };
  /** Await interactions still WAITING. */
  readonly pending: { readonly count: number; readonly oldestDeadlineAtMs: number | undefined };
  /** The release each pipeline's latest activation made active. */
  readonly activeReleases: readonly {
    readonly tenantId: string;
    readonly pipelineId: string;
    readonly releaseVersion: string;
  }[];
  /** Release activations ever recorded, per pipeline (the activation history only grows). */
  readonly activations: readonly {
    readonly tenantId: string;
    readonly pipelineId: string;
    readonly count: number;
  }[];
  /** Worker lifecycle records by state, as `WorkerLifecycle` derives it. */
  readonly workers: readonly { readonly state: string; readonly count: number }[];
  /** Await admission budgets in use, every tenant's (`Store.listAwaitAdmission`). */
  readonly admission: readonly AwaitAdmissionRecord[];
}

export const EXECUTION_STATUS_COUNTS_SQL = `SELECT tenant_id, pipeline_id, status, COUNT(*) AS n
  FROM executions GROUP BY tenant_id, pipeline_id, status`;

/** Due now: `next_due_at <= @nowMs` on the `executions_due` index (parked rows sit far in the future). */
export const DUE_WORK_SQL = `SELECT COUNT(*) AS n, MIN(next_due_at) AS oldest FROM executions
  WHERE status IN ('QUEUED', 'WAIT_RETRY') AND next_due_at <= @nowMs`;

export const PENDING_INTERACTIONS_SQL = `SELECT COUNT(*) AS n, MIN(deadline_at) AS oldest
  FROM await_interactions WHERE status = 'WAITING'`;

export const ACTIVE_RELEASES_SQL = `SELECT a.tenant_id, a.pipeline_id, a.release_version FROM release_activations a
  WHERE a.seq = (SELECT MAX(b.seq) FROM release_activations b
                 WHERE b.tenant_id = a.tenant_id AND b.pipeline_id = a.pipeline_id)`;

export const ACTIVATION_COUNTS_SQL = `SELECT tenant_id, pipeline_id, COUNT(*) AS n
  FROM release_activations GROUP BY tenant_id, pipeline_id`;

/** The same precedence as `WorkerLifecycle`: draining, then unavailable, then stale by heartbeat. */
export const WORKER_STATE_COUNTS_SQL = `SELECT CASE
    WHEN draining_since IS NOT NULL THEN 'DRAINING'
    WHEN unavailable_since IS NOT NULL THEN 'UNAVAILABLE'
    WHEN last_heartbeat_at < @staleBeforeMs THEN 'STALE'
    ELSE 'HEALTHY' END AS state, COUNT(*) AS n
  FROM workers GROUP BY 1`;

type Num = number | string | bigint | null;
const num = (v: Num): number => Number(v ?? 0);
const optional = (v: Num): number | undefined => (v === null ? undefined : Number(v));

export interface OperationalRows {
  readonly executions: readonly { tenant_id: string; pipeline_id: string; status: string; n: Num }[];
  readonly due: { n: Num; oldest: Num } | undefined;
  readonly pending: { n: Num; oldest: Num } | undefined;
  readonly active: readonly { tenant_id: string; pipeline_id: string; release_version: string }[];
  readonly activations: readonly { tenant_id: string; pipeline_id: string; n: Num }[];
  readonly workers: readonly { state: string; n: Num }[];
}

/** The rows of the statements above as counts (PostgreSQL answers COUNT as a bigint string). */
export function operationalCountsOf(r: OperationalRows): Omit<OperationalCounts, 'admission'> {
  return {
    executions: r.executions.map((x) => ({
      tenantId: x.tenant_id,
      pipelineId: x.pipeline_id,
      status: x.status,
      count: num(x.n),
    })),
    due: { count: num(r.due?.n ?? 0), oldestDueAtMs: optional(r.due?.oldest ?? null) },
    pending: { count: num(r.pending?.n ?? 0), oldestDeadlineAtMs: optional(r.pending?.oldest ?? null) },
    activeReleases: r.active.map((x) => ({
      tenantId: x.tenant_id,
      pipelineId: x.pipeline_id,
      releaseVersion: x.release_version,
    })),
    activations: r.activations.map((x) => ({
      tenantId: x.tenant_id,
      pipelineId: x.pipeline_id,
      count: num(x.n),
    })),
    workers: r.workers.map((x) => ({ state: x.state, count: num(x.n) })),
  };
}
