import type { RemoteOutcomeUnknownPolicy } from '../domain/remote-outcome-policy.ts';
import type { RetryPolicy } from '../domain/retry-policy.ts';
import type { AwaitAdmissionConfig } from '../domain/await-admission-budget.ts';

export const IdempotencyPolicy = {
  OPTIONAL_CLIENT_KEY: 'OPTIONAL_CLIENT_KEY',
  CLIENT_KEY_REQUIRED: 'CLIENT_KEY_REQUIRED',
  SERVER_KEY_ONLY: 'SERVER_KEY_ONLY',
} as const;
export type IdempotencyPolicy = (typeof IdempotencyPolicy)[keyof typeof IdempotencyPolicy];

/** The settings the engine runs by; every duration in milliseconds. */
export interface EngineConfig extends RetryPolicy {
  /** This coordinator's identity: the lease owner name. */
  readonly nodeId: string;
  readonly leaseMs: number;
  /** How often the maintenance loop runs even when no wake-up is due. */
  readonly sweepIntervalMs: number;
  /** How many rows one maintenance pass handles per kind of work. */
  readonly sweepLimit: number;
  /** Segments running at once in this process. */
  readonly maxInFlight: number;
  /** How long terminal executions (and their idempotency keys) are kept. */
  readonly executionTtlMs: number;
  /** Executions one retention batch deletes at most (items included), in one short transaction. */
  readonly retentionBatchSize: number;
  /** Retention batches one maintenance pass runs at most (docs/retention.md). */
  readonly retentionBatchesPerPass: number;
  /**
   * Where the leader writes each expiring execution's history export before deleting it
   * (docs/retention.md); absent: expired executions are deleted without an archive.
   */
  readonly retentionArchiveDir?: string | undefined;
  readonly idempotencyPolicy: IdempotencyPolicy;
  /** `log` publishes DLQ envelopes to the log; `none` disables the DLQ (terminal failures become FAILED). */
  readonly dlqProvider: 'log' | 'none';
  /**
   * What a remote call whose outcome is unknown (a timeout after sending) leads to: `retry`, a
   * retryable failure whose retry keeps the step's idempotency key; `dlq`, the DLQ with reason
   * `remote_outcome_unknown`, for an operator to decide.
   */
  readonly remoteOutcomeUnknownPolicy: RemoteOutcomeUnknownPolicy;
  /** A worker without a heartbeat for this long is STALE and takes no new work. */
  readonly workerStaleAfterMs: number;
  /** How long worker lifecycle transitions are kept in the history; the maintenance pass prunes older ones. */
  readonly workerHistoryRetentionMs: number;
  /**
   * How long the maintenance leadership lasts without renewal. Nodes sharing a store elect one
   * maintenance leader; when it dies another takes over within about this long.
   */
  readonly leaderLeaseMs: number;
  /**
   * How far this node's clock may be from the database's before it reports not ready and
   * stops leading maintenance (leases are compared across nodes); checked on PostgreSQL.
   */
  readonly maxClockSkewMs: number;
  /** How long the cached active release of a pipeline is trusted without a signal. */
  readonly activeReleaseTtlMs: number;
  /**
   * How long one try of a step may run when the step sets no `timeout`: past it the try fails
   * with `step_timeout` and its slot is free again.
   */
  readonly stepTimeoutMs: number;
  /** Await admission budgets set by configuration (docs/await-admission.md); none when absent. */
  readonly awaitAdmission?: AwaitAdmissionConfig;
  /**
   * The most items one `expand` step may make (docs/items.md): more fail the step with
   * `items_limit_exceeded`, to the DLQ, so it can be re-driven once the limit is raised.
   */
  readonly maxItemsPerExecution: number;
  /**
   * How late a schedule's slot may fire and still count as on time (docs/schedules.md): a slot
   * later than that is missed, and its schedule's missed-fire policy decides whether it fires.
   */
  readonly scheduleMisfireGraceMs: number;
}
