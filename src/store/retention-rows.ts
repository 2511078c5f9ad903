/** What both dialects share about retention (docs/retention.md): the rows one purge removes. */
import type { ExecutionStatus } from '../domain/execution-status.ts';
import type { ExpiredExecution } from './store-port.ts';

/**
 * Every table holding rows of one execution, children first. An execution's rows go in the
 * same transaction as its `executions` row, so nothing is ever left pointing at a purged one.
 */
export const EXECUTION_TABLES = [
  'step_outputs',
  'await_interactions',
  'await_admission_entries',
  'journal',
  'executions',
] as const;

/** Top-level executions only: an item goes with its parent, never before it. */
export const EXPIRED_WHERE = 'expires_at <= @nowMs AND parent_execution_id IS NULL';

export const EXPIRED_COLUMNS =
  'tenant_id, execution_id, pipeline_id, status, version, updated_at, expires_at';

export interface ExpiredRow {
  tenant_id: string;
  execution_id: string;
  pipeline_id: string;
  status: string;
  version: number;
  updated_at: number;
  expires_at: number;
}

export const expiredFromRow = (r: ExpiredRow): ExpiredExecution => ({
  tenantId: r.tenant_id,
  executionId: r.execution_id,
  pipelineId: r.pipeline_id,
  status: r.status as ExecutionStatus,
  version: r.version,
  updatedAtMs: r.updated_at,
  expiresAtMs: r.expires_at,
});

/** How long a delivered outbox message is kept (for an operator looking at what went out). */
export const DELIVERED_OUTBOX_KEPT_MS = 86_400_000;
