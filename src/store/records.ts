import type { DlqReason, ExecutionStatus, InteractionStatus } from '../domain/execution-status.ts';
import type { PipelineContract } from '../releases/pipeline-contract.ts';

/** The execution projection row: current state, rebuildable from the journal. */
export interface ExecutionRecord {
  readonly tenantId: string;
  readonly executionId: string;
  readonly pipelineId: string;
  readonly contractVersion: string;
  readonly releaseVersion: string;
  readonly executionKey: string;
  readonly inputFingerprint: string;
  readonly input: unknown;
  readonly status: ExecutionStatus;
  /** Bumped by every journaled command; equals the seq of the latest journal event. */
  readonly version: number;
  /** The first step without a checkpoint: where the next segment starts. */
  readonly stepIndex: number;
  /** Failed tries of the current step since it was reached. */
  readonly attempt: number;
  /** The fencing epoch: bumped on every claim and on cancel. */
  readonly leaseEpoch: number;
  readonly leaseOwner: string | null;
  readonly leaseExpiresAtMs: number | null;
  readonly nextDueAtMs: number | null;
  readonly awaitUnitId: string | null;
  readonly result: unknown;
  readonly errorCode: string | null;
  readonly errorMessage: string | null;
  readonly dlqReason: DlqReason | null;
  /**
   * In the DLQ (or FAILED): the failure's fingerprint (`src/dlq/failure-fingerprint.ts`) and the
   * id of the step that failed. Null otherwise, and on executions that entered the DLQ before
   * Capstan kept them (docs/dlq.md#fingerprints).
   */
  readonly failureFingerprint: string | null;
  readonly failedStepId: string | null;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
  readonly expiresAtMs: number | null;
  /**
   * The idempotency chain as the latest retry left it (`src/domain/idempotency-chain.ts`): the
   * attempt of its first try that may have acted, and that retry's seq.
   */
  readonly chainKeyAttempt: number | null;
  readonly chainSeq: number | null;
  /**
   * Tries of step `attemptOffsetStep` before its latest re-drive: the step's try number is
   * `attemptOffset + attempt` while the execution is on that step (`src/domain/step-attempt.ts`).
   */
  readonly attemptOffset: number;
  readonly attemptOffsetStep: number;
  /**
   * The W3C `traceparent` of the submit's span when tracing was on (docs/tracing.md): each
   * segment continues that trace. Null when the execution was submitted untraced.
   */
  readonly traceparent: string | null;
  /** On an item (a child execution, docs/items.md): its parent; null on any other execution. */
  readonly parentExecutionId: string | null;
  /** On an item: its 0-based position in the expansion. */
  readonly itemIndex: number | null;
  /** On an item: where its continuation stops (the aggregate's index, exclusive); null = the end. */
  readonly endStepIndex: number | null;
  /** On a parent that expanded: how many items the expansion made; null before (or without) one. */
  readonly itemsTotal: number | null;
  /** On a parent: items not yet terminal. The aggregate is released when it reaches 0. */
  readonly itemsOpen: number | null;
  /** On a parent: items that ended in DLQ, FAILED or CANCELLED. */
  readonly itemsFailed: number | null;
  /** The schedule that started it (docs/schedules.md); null on any other execution. */
  readonly scheduleId: string | null;
}

export interface InteractionRecord {
  readonly tenantId: string;
  readonly interactionId: string;
  readonly correlationId: string;
  readonly executionId: string;
  readonly unitId: string;
  readonly stepId: string;
  readonly stepIndex: number;
  readonly status: InteractionStatus;
  readonly requestPayload: unknown;
  readonly responsePayload: unknown;
  readonly responseFingerprint: string | null;
  readonly completionKey: string | null;
  readonly actor: string | null;
  readonly assignee: string | null;
  readonly group: string | null;
  readonly transportType: string;
  readonly deadlineAtMs: number;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
}

/** One immutable entry of an execution's journal. `seq` equals the version it produced. */
export interface JournalEvent {
  readonly executionId: string;
  readonly seq: number;
  readonly type: string;
  readonly atMs: number;
  readonly data: Record<string, unknown>;
}

export interface OutboxMessage {
  readonly id: number;
  readonly topic: string;
  readonly payload: Record<string, unknown>;
  readonly createdAtMs: number;
  /** Failed deliveries so far. */
  readonly attempts: number;
  /** When the relay gave up on it (too many failures); null while it is still relayed. */
  readonly parkedAtMs: number | null;
  /** Why the last delivery failed. */
  readonly lastError: string | null;
}

export interface ReleaseRecord {
  readonly tenantId: string;
  readonly pipelineId: string;
  readonly releaseVersion: string;
  readonly contractVersion: string;
  readonly descriptor: unknown;
  readonly contract: PipelineContract;
  readonly primaryArtifactDigest: string;
  readonly createdAtMs: number;
}

export interface ReleaseActivation {
  readonly seq: number;
  readonly tenantId: string;
  readonly pipelineId: string;
  readonly releaseVersion: string;
  readonly activatedAtMs: number;
  readonly actor: string;
}

export interface WorkerEvent {
  readonly seq: number;
  readonly tenantId: string;
  readonly pipelineId: string;
  readonly workerId: string;
  readonly type: 'REGISTER' | 'HEARTBEAT' | 'DRAIN' | 'UNDRAIN' | 'UNAVAILABLE';
  readonly data: Record<string, unknown>;
  readonly atMs: number;
}

/** What a worker registered with: the release it hosts and where the coordinator reaches it. */
export interface WorkerRegistrationRecord {
  readonly tenantId: string;
  readonly pipelineId: string;
  readonly workerId: string;
  readonly contractVersion: string;
  readonly releaseVersion: string;
  readonly protocol: string;
  readonly endpoint: string;
  readonly artifactId: string | null;
  readonly artifactDigest: string | null;
}

/** A worker's current state: one row per worker, kept up to date by each lifecycle event. */
export interface WorkerStateRecord extends WorkerRegistrationRecord {
  readonly registeredAtMs: number;
  readonly lastHeartbeatAtMs: number;
  readonly drainingSinceMs: number | null;
  readonly unavailableSinceMs: number | null;
}

/** A lifecycle signal to a registered worker. */
export interface WorkerSignal {
  readonly tenantId: string;
  readonly pipelineId: string;
  readonly workerId: string;
  readonly type: 'HEARTBEAT' | 'DRAIN' | 'UNDRAIN' | 'UNAVAILABLE';
  readonly data: Record<string, unknown>;
  readonly atMs: number;
}
