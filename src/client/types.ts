/**
 * What the coordinator's API answers, as the client returns it. These mirror the JSON of the
 * HTTP API (docs/compat.md); times are epoch milliseconds.
 */

export type ExecutionStatusName =
  'QUEUED' | 'RUNNING' | 'WAITING_EXTERNAL' | 'WAIT_RETRY' | 'SUCCEEDED' | 'FAILED' | 'DLQ' | 'CANCELLED';

export const TERMINAL_STATUSES: readonly ExecutionStatusName[] = ['SUCCEEDED', 'FAILED', 'DLQ', 'CANCELLED'];

/** An execution's status (`GET …/executions/{id}`). */
export interface ExecutionStatus {
  readonly executionId: string;
  readonly status: ExecutionStatusName;
  readonly stepIndex: number;
  /** The name of the step at `stepIndex`, from the pinned release (null when unknown). */
  readonly stepId: string | null;
  readonly attempt: number;
  readonly version: number;
  readonly pipelineId: string;
  readonly contractVersion: string;
  readonly releaseVersion: string;
  readonly awaitUnitId: string | null;
  readonly nextDueAtEpochMs: number | null;
  readonly createdAtEpochMs: number;
  readonly updatedAtEpochMs: number;
  readonly errorCode: string | null;
  readonly errorMessage: string | null;
  readonly dlqReason: string | null;
  /** Where the failing step threw (truncated), on a single execution's status when one was kept. */
  readonly errorStack?: string;
  /** Why it does not move: no worker hosts its release, or an interaction is open. */
  readonly waitingFor: 'worker' | 'interaction' | null;
}

export interface Submitted {
  readonly executionId: string;
  /** True when the idempotency key (or, without one, the same input) named an existing execution. */
  readonly duplicate: boolean;
  readonly statusUrl: string;
  readonly submittedAtEpochMs: number;
  readonly pipelineId: string;
  readonly contractVersion: string;
  readonly releaseVersion: string;
}

/** `GET …/result`: the status, and the result once SUCCEEDED (null otherwise). */
export interface ExecutionResult<Output = unknown> {
  readonly status: ExecutionStatus;
  readonly result: Output | null;
  readonly resultPayload: unknown;
}

export interface HistoryEvent {
  readonly seq: number;
  readonly type: string;
  readonly atEpochMs: number;
  /** The step the event is about, by name, when it is about one. */
  readonly stepId: string | null;
  readonly data: unknown;
}

export interface HistoryPage {
  readonly events: readonly HistoryEvent[];
  /** Pass as `afterSeq` for the next page; null when this one was the last. */
  readonly nextAfterSeq: number | null;
}

export interface ListFilter {
  readonly status?: ExecutionStatusName | readonly ExecutionStatusName[];
  readonly pipelineId?: string;
  readonly releaseVersion?: string;
  readonly errorCode?: string;
  /** Created at or after (epoch ms or a Date). */
  readonly createdFrom?: number | Date;
  /** Created before (epoch ms or a Date). */
  readonly createdTo?: number | Date;
  /** Page size (1..1000, default 100). */
  readonly limit?: number;
  /** The `nextCursor` of the previous page. */
  readonly cursor?: string;
}

export interface ExecutionPage {
  readonly items: readonly ExecutionStatus[];
  readonly nextCursor: string | null;
}

export interface Interaction {
  readonly interactionId: string;
  readonly correlationId: string;
  readonly executionId: string;
  readonly stepId: string;
  readonly stepIndex: number;
  readonly status: string;
  readonly requestPayload: unknown;
  readonly assignee: string | null;
  readonly group: string | null;
  readonly transportType: string;
  readonly transportMetadata: Record<string, unknown>;
  readonly deadlineEpochMs: number;
  readonly createdAtEpochMs: number;
  readonly updatedAtEpochMs: number;
}

export interface PendingFilter {
  readonly assignee?: string;
  readonly group?: string;
  readonly stepId?: string;
  readonly limit?: number;
}

export interface Completion {
  readonly interactionId: string;
  readonly executionId: string;
  readonly stepId: string;
  readonly status: string;
  readonly duplicate: boolean;
}

export interface Redriven {
  readonly tenantId: string;
  readonly executionId: string;
  readonly previousStatus: ExecutionStatusName;
  readonly status: ExecutionStatusName;
  readonly version: number;
  readonly currentStepIndex: number;
  readonly attempt: number;
  readonly pipelineId: string;
  readonly contractVersion: string;
  readonly releaseVersion: string;
  readonly updatedAtEpochMs: number;
}

export interface Release {
  readonly tenantId: string;
  readonly pipelineId: string;
  readonly contractVersion: string;
  readonly releaseVersion: string;
  readonly status: 'REGISTERED' | 'ACTIVE';
  readonly descriptor: unknown;
  readonly contract: unknown;
  readonly primaryArtifactId: string | null;
  readonly primaryArtifactDigest: string;
  readonly primaryArtifactUri: string;
  readonly createdAtEpochMs: number;
  readonly updatedAtEpochMs: number;
  readonly activatedAtEpochMs: number | null;
}

export interface Activation {
  readonly seq: number;
  readonly tenantId: string;
  readonly pipelineId: string;
  readonly releaseVersion: string;
  readonly activatedAtEpochMs: number;
  readonly actor: string | null;
}

export type WorkerState = 'HEALTHY' | 'STALE' | 'DRAINING' | 'UNAVAILABLE';

export interface Worker {
  readonly tenantId: string;
  readonly pipelineId: string;
  readonly workerId: string;
  readonly contractVersion: string;
  readonly releaseVersion: string;
  readonly protocol: string;
  readonly endpoint: string;
  readonly artifactId: string | null;
  readonly artifactDigest: string | null;
  readonly state: WorkerState;
  readonly registeredAtEpochMs: number;
  readonly lastHeartbeatAtEpochMs: number | null;
  readonly drainingSinceEpochMs: number | null;
}

export interface WorkerRegistration {
  readonly workerId: string;
  readonly contractVersion: string;
  readonly releaseVersion: string;
  readonly protocol: 'local' | 'rest' | 'grpc' | 'sqs' | 'pull';
  readonly endpoint: string;
  readonly artifactId?: string;
  readonly artifactDigest?: string;
}

/** A pipeline with a registered release (`GET …/pipelines`). */
export interface PipelineSummary {
  readonly pipelineId: string;
  readonly activeReleaseVersion: string | null;
  readonly releaseCount: number;
  /** Whether a worker hosts the active release (else submissions are refused). */
  readonly hosted: boolean;
  /** Executions under way and in the DLQ, by status. */
  readonly liveCounts: Partial<Record<ExecutionStatusName, number>>;
}

export interface Readiness {
  readonly status: 'UP' | 'DOWN';
  readonly checks: readonly { readonly name: string; readonly status: string }[];
}

/** One coordinator node in the registry (`GET /api/cluster/nodes`). */
export interface ClusterNode {
  readonly nodeId: string;
  /** The running process, `<node id>#<incarnation>`: a restart is a new holder. */
  readonly holder: string;
  /** Where its API listens, once it reported it. */
  readonly address: string | null;
  readonly version: string;
  /** `live` (heartbeating), `stale` (silent past `staleAfterMs`) or `stopped` (stopped cleanly). */
  readonly state: 'live' | 'stale' | 'stopped';
  /** Live, and ready (maintenance loop and clock) at its last heartbeat. */
  readonly ready: boolean;
  /** Whether it holds the maintenance leadership. */
  readonly leader: boolean;
  readonly startedAt: string;
  readonly lastHeartbeatAt: string;
  readonly stoppedAt: string | null;
}

/** `GET /api/cluster/nodes`: the node registry, as the answering node (`thisNode`) judges it. */
export interface ClusterNodes {
  readonly thisNode: string;
  readonly heartbeatIntervalMs: number;
  readonly staleAfterMs: number;
  readonly nodes: readonly ClusterNode[];
}

/** `GET /api/cluster/info`: this node, its store, and the cluster's maintenance leader. */
export interface ClusterInfo {
  readonly nodeId: string;
  readonly roles: readonly string[];
  readonly build: Record<string, unknown>;
  readonly store: { readonly provider: string; readonly shared: boolean };
  readonly maintenance: {
    readonly leaderLeaseMs: number;
    readonly thisNode: { readonly holder: string; readonly leader: boolean };
    readonly leader: {
      readonly nodeId: string;
      readonly holder: string;
      readonly epoch: number;
      readonly since: string;
      readonly expiresAt: string;
    } | null;
  };
}
