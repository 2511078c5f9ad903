import type { DlqQueries } from './dlq-port.ts';
import type { RedriveRelease, RedriveTarget } from '../domain/redrive-target.ts';
import type { MigrationInfo, RecordedMigration } from './migrations.ts';
import type { CommitObserver } from './commit-observers.ts';
import type { OperationalCounts } from './operational-counts.ts';
import type { FailureDecision } from '../domain/retry-policy.ts';
import type { LiveRelease } from './live-releases.ts';
import type { DlqReason, ExecutionStatus } from '../domain/execution-status.ts';
import type { Route } from '../domain/parking.ts';
import type { PipelineSummaryRecord } from './pipeline-summaries.ts';
import type { ClusterNodeRecord, NodeHeartbeat } from './cluster-node-row.ts';
import type { ScheduleRecord } from './schedule-records.ts';
import type {
  ExecutionRecord,
  InteractionRecord,
  JournalEvent,
  OutboxMessage,
  ReleaseActivation,
  ReleaseRecord,
  WorkerEvent,
  WorkerRegistrationRecord,
  WorkerSignal,
  WorkerStateRecord,
} from './records.ts';

/**
 * The store port: domain operations, not SQL. Every command is one guarded conditional
 * update plus its journal event in one transaction; a `false` (or `lost`) result means the
 * guard did not match (another writer won, the lease epoch moved on) and nothing was written.
 * Implementations batch concurrent commands into shared transactions (group commit), and a
 * promise resolves only after the COMMIT that holds its command has returned.
 */
export interface Store
  extends
    ExecutionCommands,
    ExecutionQueries,
    DlqQueries,
    MaintenanceCommands,
    ReleaseStore,
    OutboxStore,
    LeadershipStore,
    NodeRegistryStore,
    ScheduleStore {
  readonly dialect: 'sqlite' | 'postgres';
  /** True when one coordinator process owns the store, so leases held by others are orphans. */
  readonly exclusive: boolean;
  /** Hints that another node changed something; absent on a store one process owns alone. */
  readonly signals?: StoreSignals;
  /**
   * Applies the pending migrations, forward only; resolves with the versions it applied (none
   * when up to date). Rejects with `SchemaTooNewError` (nothing applied) when the database holds
   * a migration this code does not know that is not additive (docs/upgrade-and-drain.md).
   */
  migrate(): Promise<number[]>;
  /** The migrations `migrate()` would apply, in order; applies nothing. */
  pendingMigrations(): Promise<MigrationInfo[]>;
  /** The migrations the database records that this code does not know (a newer Capstan applied them). */
  migrationsAhead(): Promise<RecordedMigration[]>;
  /** Throws when the database cannot answer. */
  ping(): Promise<void>;
  /**
   * True when `error`, thrown by this store, says its database could not be reached (network,
   * server down, connection refused by the server): each dialect knows its driver's errors.
   */
  isUnreachable(error: unknown): boolean;
  /**
   * The database server's own clock (epoch ms), where nodes share the store and so compare
   * each other's instants; absent on a store one process owns.
   */
  databaseTimeMs?(): Promise<number>;
  /** The durability settings in force (e.g. `journal_mode`, `synchronous`). */
  durabilitySettings(): Promise<Record<string, string>>;
  /** Rebuilds every projection (executions, step outputs, interactions) from the journal. */
  rebuildProjections(): Promise<void>;
  /** Every projection row, in a stable order: what a rebuild must reproduce. */
  snapshotProjections(): Promise<unknown>;
  /**
   * A consistent copy of the store taken while it serves, written into `<data-dir>/backups/`;
   * resolves with the copy's path. Only on a store one process owns (SQLite): the shared store
   * is backed up from outside with `pg_dump`.
   */
  onlineBackup?(): Promise<string>;
  /**
   * Grouped counts for the metrics: executions by status, due work, pending awaits, active
   * releases, workers by state (stale when their last heartbeat is before `staleBeforeMs`).
   */
  operationalCounts(nowMs: number, staleBeforeMs: number): Promise<OperationalCounts>;
  /** Watches every group-commit transaction; returns the call that stops watching. */
  observeCommits(observer: CommitObserver): () => void;
  /**
   * Statements sent to the database by this store so far (transaction control included): the
   * load a node puts on its database, counted where it is issued (docs/retention.md).
   */
  readonly statements: number;
  close(): Promise<void>;
}

export interface SubmitCommand {
  readonly tenantId: string;
  readonly executionId: string;
  readonly pipelineId: string;
  readonly contractVersion: string;
  readonly releaseVersion: string;
  readonly executionKey: string;
  readonly inputFingerprint: string;
  readonly input: unknown;
  readonly nowMs: number;
  /** The submit span's W3C `traceparent`, kept with the execution; absent when tracing is off. */
  readonly traceparent?: string;
  /** The schedule that started it (docs/schedules.md); absent on any other submit. */
  readonly scheduleId?: string;
}

export type SubmitOutcome =
  | { readonly kind: 'created'; readonly execution: ExecutionRecord }
  | { readonly kind: 'duplicate'; readonly execution: ExecutionRecord }
  | { readonly kind: 'conflict'; readonly execution: ExecutionRecord };

export interface ClaimCommand {
  readonly nowMs: number;
  readonly limit: number;
  readonly owner: string;
  readonly leaseMs: number;
  readonly routes: readonly Route[];
}

export interface ClaimOutcome {
  readonly segments: ClaimedSegment[];
  /** Executions this claim parked for want of a route: there may be more due behind them. */
  readonly parked: number;
}

/** A claimed execution and the input of the step it resumes at. */
export interface ClaimedSegment {
  readonly execution: ExecutionRecord;
  readonly input: unknown;
}

export interface Fence {
  readonly executionId: string;
  readonly leaseEpoch: number;
}

export interface StepFailure {
  readonly errorCode: string;
  readonly errorMessage: string;
  /** Where the step threw, truncated; kept in the failure's journal event, not on the row. */
  readonly errorStack?: string;
  /** Its fingerprint and the failing step's id (`src/dlq/failure-fingerprint.ts`), kept when it ends in the DLQ. */
  readonly fingerprint?: string | undefined;
  readonly stepId?: string | undefined;
}

export interface NewInteraction {
  readonly interactionId: string;
  readonly correlationId: string;
  readonly unitId: string;
  readonly stepId: string;
  readonly requestPayload: unknown;
  readonly assignee: string | null;
  readonly group: string | null;
  readonly transportType: string;
  readonly deadlineAtMs: number;
  /**
   * The step's await admission budget (docs/await-admission.md): at most this many of its
   * interactions outstanding per tenant and pipeline. Over it the interaction is parked
   * ADMISSION_WAITING, with no publication and no deadline, until a release admits it.
   */
  readonly admissionLimit?: number | undefined;
}

/** Parks an execution at an await step (see `ExecutionCommands.suspend`). */
export type SuspendCommand = Fence & {
  stepIndex: number;
  interaction: NewInteraction;
  publication?: Publication | undefined;
  nowMs: number;
};

/** A publication to the outside world, written to the outbox in the command's transaction. */
export interface Publication {
  readonly topic: string;
  readonly payload: Record<string, unknown>;
}

/** A step's output, as a segment's commit checkpoints it. */
export interface StepCheckpoint {
  readonly stepIndex: number;
  readonly output: unknown;
}

/**
 * How a segment ends: the fields of `succeed`, `suspend` or `fail` without the fence and the
 * instant, which the segment's commit carries once for all its writes.
 */
export type SegmentOutcome =
  | {
      readonly kind: 'succeed';
      readonly stepIndex: number;
      readonly result: unknown;
      readonly expiresAtMs: number;
    }
  | {
      readonly kind: 'suspend';
      readonly stepIndex: number;
      readonly interaction: NewInteraction;
      /** The await request for its transport's outbox topic; none for the interaction API. */
      readonly publication?: Publication | undefined;
    }
  | {
      /**
       * The segment reached an expand step (at `stepIndex`) and produced its items: each
       * becomes a QUEUED child at `stepIndex + 1` (ending before `endStepIndex`, the aggregate,
       * or at the pipeline's end when null), and the parent waits for them (`WAITING_ITEMS`)
       * at `resumeStepIndex`, where it is queued again when the last one is terminal.
       */
      readonly kind: 'expand';
      readonly stepIndex: number;
      readonly items: readonly NewItem[];
      readonly endStepIndex: number | null;
      readonly resumeStepIndex: number;
    }
  | {
      readonly kind: 'fail';
      readonly stepIndex: number;
      readonly failure: StepFailure;
      readonly decision: FailureDecision;
      readonly publication: Publication | undefined;
      readonly expiresAtMs: number;
    };

/** One item of an expansion: the child execution it becomes (docs/items.md). */
export interface NewItem {
  readonly executionId: string;
  readonly input: unknown;
  readonly inputFingerprint: string;
}

/** A segment's step outputs and its outcome, committed together under one fence. */
export type CommitSegmentCommand = Fence & {
  /** The steps the segment completed, in order: consecutive step indexes, the outcome's right after. */
  readonly outputs: readonly StepCheckpoint[];
  readonly outcome: SegmentOutcome;
  readonly nowMs: number;
};

export interface ExecutionCommands {
  submit(command: SubmitCommand): Promise<SubmitOutcome>;
  /**
   * Claims up to `limit` due executions of one of `routes` (the (tenant, pipeline, release)
   * triples some worker of this node can run): RUNNING, epoch + 1, `attempt_started`
   * journaled. Due executions of the index's head that no route covers are parked (see
   * `domain/parking.ts`), and parked ones of these routes are claimed first.
   */
  claimDue(command: ClaimCommand): Promise<ClaimOutcome>;
  /**
   * Wakes the executions of one route parked after dispatch errors: a worker for it
   * registered or heartbeated. Returns how many were woken.
   */
  wakeParked(command: Route & { nowMs: number }): Promise<number>;
  /** Extends the leases still held; not journaled. Returns how many were extended. */
  renewLeases(fences: readonly Fence[], untilMs: number): Promise<number>;
  checkpointStep(command: Fence & { stepIndex: number; output: unknown; nowMs: number }): Promise<boolean>;
  succeed(
    command: Fence & { stepIndex: number; result: unknown; nowMs: number; expiresAtMs: number },
  ): Promise<boolean>;
  /** Parks on a new interaction; `publication` goes to the outbox in the same transaction. */
  suspend(command: SuspendCommand): Promise<boolean>;
  fail(
    command: Fence & {
      stepIndex: number;
      failure: StepFailure;
      decision: FailureDecision;
      publication: Publication | undefined;
      nowMs: number;
      expiresAtMs: number;
    },
  ): Promise<boolean>;
  /**
   * Commits a segment's end in one transaction: each output as `checkpointStep` would, then
   * the outcome as `succeed`, `suspend` or `fail` would, with the same journal events in the
   * same order. All of it or, when the fence is lost, nothing (false). A remote worker's
   * outputs arrive together with its outcome, so they cost one commit, not one each.
   */
  commitSegment(command: CommitSegmentCommand): Promise<boolean>;
  completeInteraction(command: {
    tenantId: string;
    interactionId: string;
    response: unknown;
    responseFingerprint: string;
    completionKey: string;
    actor: string | null;
    nowMs: number;
  }): Promise<CompletionOutcome>;
  /**
   * Re-drive; with `toRelease`, the pin moves to that release in the same transaction, refused
   * (`contract_mismatch`, nothing written) unless it has the execution's contract version.
   * `target` is what the operator asked for, recorded in the journal (default `pinned`).
   */
  redrive(command: {
    tenantId: string;
    executionId: string;
    expectedVersion: number | undefined;
    allowFailed: boolean;
    reason: string;
    target?: RedriveTarget | undefined;
    toRelease?: RedriveRelease | undefined;
    nowMs: number;
  }): Promise<RedriveOutcome>;
  cancel(command: {
    tenantId: string;
    executionId: string;
    reason: string;
    nowMs: number;
    expiresAtMs: number;
  }): Promise<CancelOutcome>;
}

export type CompletionOutcome =
  | { readonly kind: 'completed'; readonly interaction: InteractionRecord }
  | { readonly kind: 'duplicate'; readonly interaction: InteractionRecord }
  | { readonly kind: 'conflict'; readonly interaction: InteractionRecord }
  | { readonly kind: 'closed'; readonly interaction: InteractionRecord }
  | { readonly kind: 'deadline_passed'; readonly interaction: InteractionRecord }
  /** Held back by its step's admission budget: its request is not out yet, so nothing can answer it. */
  | { readonly kind: 'not_admitted'; readonly interaction: InteractionRecord }
  | { readonly kind: 'not_found' };

export type RedriveOutcome =
  | {
      readonly kind: 'redriven';
      readonly previousStatus: ExecutionStatus;
      readonly execution: ExecutionRecord;
    }
  | { readonly kind: 'wrong_status'; readonly execution: ExecutionRecord }
  | { readonly kind: 'wrong_version'; readonly execution: ExecutionRecord }
  /** An item whose parent has already released its aggregate: the outcome it saw stands. */
  | { readonly kind: 'item_already_aggregated'; readonly execution: ExecutionRecord }
  /** `toRelease` has another contract version than the execution. */
  | { readonly kind: 'contract_mismatch'; readonly execution: ExecutionRecord }
  | { readonly kind: 'not_found' };

export type CancelOutcome =
  | { readonly kind: 'cancelled'; readonly execution: ExecutionRecord }
  | { readonly kind: 'already_cancelled'; readonly execution: ExecutionRecord }
  | { readonly kind: 'terminal'; readonly execution: ExecutionRecord }
  | { readonly kind: 'not_found' };

export interface PendingFilter {
  readonly assignee?: string | undefined;
  readonly group?: string | undefined;
  readonly stepId?: string | undefined;
  readonly limit: number;
}

export interface ExecutionQueries {
  getExecution(tenantId: string, executionId: string): Promise<ExecutionRecord | undefined>;
  /** The checkpointed output of one step, or `undefined` when the step has none. */
  getStepOutput(executionId: string, stepIndex: number): Promise<{ output: unknown } | undefined>;
  /** The checkpointed outputs of the steps below `belowStepIndex`, in step order, in one read. */
  getStepOutputs(executionId: string, belowStepIndex: number): Promise<StepCheckpoint[]>;
  findInteraction(
    tenantId: string,
    ref: { interactionId: string } | { correlationId: string },
  ): Promise<InteractionRecord | undefined>;
  listPendingInteractions(tenantId: string, filter: PendingFilter): Promise<InteractionRecord[]>;
  /** The await admission budgets in use, of one tenant or (undefined) of all, by scope. */
  listAwaitAdmission(tenantId: string | undefined): Promise<AwaitAdmissionRecord[]>;
  readJournal(executionId: string, afterSeq: number, limit: number): Promise<JournalEvent[]>;
  /** The earliest instant anything falls due: queued work, a lease expiry, a deadline or a schedule's next slot. */
  nextWakeAtMs(): Promise<number | undefined>;
  /**
   * A page of a tenant's executions, newest first (`createdAtMs` DESC, then `executionId`
   * DESC), strictly after the keyset position `filter.after` when given.
   */
  listExecutions(tenantId: string, filter: ExecutionListFilter): Promise<ExecutionRecord[]>;
  /**
   * Every release, of every tenant, that still has non-terminal executions, with how many: the
   * releases some worker must keep hosting (read at start, not on a hot path).
   */
  listLiveReleases(): Promise<LiveRelease[]>;
}

/** One await admission scope: a step of a pipeline in a tenant, its budget and its queue. */
export interface AwaitAdmissionRecord {
  readonly tenantId: string;
  readonly pipelineId: string;
  readonly stepId: string;
  /** The budget as the latest park under it set it. */
  readonly limit: number;
  /** Interactions admitted and not yet ended: never above `limit`. */
  readonly outstanding: number;
  /** Interactions ADMISSION_WAITING, admitted oldest first as `outstanding` falls. */
  readonly waiting: number;
}

/** Filters of `listExecutions`; every one given narrows the list (they are ANDed). */
export interface ExecutionListFilter {
  /** Any of these statuses; absent means every status. */
  readonly statuses?: readonly ExecutionStatus[] | undefined;
  readonly pipelineId?: string | undefined;
  readonly releaseVersion?: string | undefined;
  readonly errorCode?: string | undefined;
  /** The items (child executions) of this parent. */
  readonly parentExecutionId?: string | undefined;
  /** The executions this schedule started. */
  readonly scheduleId?: string | undefined;
  /** Created at or after this instant (inclusive). */
  readonly createdFromMs?: number | undefined;
  /** Created before this instant (exclusive), so adjacent windows do not overlap. */
  readonly createdToMs?: number | undefined;
  /** The last execution of the previous page: the page starts strictly after it. */
  readonly after?: { readonly createdAtMs: number; readonly executionId: string } | undefined;
  readonly limit: number;
}

export interface ExpiredLease extends Fence {
  /** Failed tries of the step in its current retry budget. */
  readonly attempt: number;
  /** The try number of the step, counted across re-drives (`src/domain/step-attempt.ts`). */
  readonly stepAttempt: number;
  readonly stepIndex: number;
  readonly tenantId: string;
  readonly pipelineId: string;
  readonly releaseVersion: string;
  readonly executionKey: string;
}

/**
 * The maintenance commands are the leader's alone: each carries the leader's fence and checks
 * it in its own transaction, acting only while that holder and epoch still hold the lease.
 */
export interface MaintenanceCommands {
  /** RUNNING executions whose lease ran out by `nowMs`. */
  findExpiredLeases(nowMs: number, limit: number): Promise<ExpiredLease[]>;
  /**
   * Takes back a lease that ran out by `asOfMs` (a renewal that got there first wins); the
   * lost try counts as a retryable failure of the step. The decision was taken on the
   * `stepIndex` and `attempt` `findExpiredLeases` returned: when the holder has moved on
   * since (a checkpoint), nothing is written and the next pass decides again.
   */
  reclaimLease(
    command: Fence & {
      stepIndex: number;
      attempt: number;
      leader: LeaderFence;
      asOfMs: number;
      decision: FailureDecision;
      publication: Publication | undefined;
      /** The lost try's fingerprint and step id, kept when it ends in the DLQ. */
      fingerprint?: string | undefined;
      stepId?: string | undefined;
      nowMs: number;
      expiresAtMs: number;
    },
  ): Promise<boolean>;
  findPassedDeadlines(nowMs: number, limit: number): Promise<InteractionRecord[]>;
  /** Times out an open interaction and moves its parked execution to the DLQ (or FAILED). */
  timeOutInteraction(command: {
    leader: LeaderFence;
    interactionId: string;
    reason: DlqReason;
    terminalStatus: 'DLQ' | 'FAILED';
    publication: Publication | undefined;
    /** The timeout's fingerprint and the await step's id, kept on the DLQ'd execution. */
    fingerprint?: string | undefined;
    stepId?: string | undefined;
    nowMs: number;
    expiresAtMs: number;
  }): Promise<boolean>;
  /**
   * Terminal top-level executions whose TTL passed by `nowMs`, soonest expiry first: what the
   * next retention batch purges (docs/retention.md). Items are not listed: they go with their
   * parent.
   */
  findExpired(nowMs: number, limit: number): Promise<ExpiredExecution[]>;
  /** A parent's items in item order, after `after` (keyset paging). */
  listItemIds(
    parentExecutionId: string,
    after: { itemIndex: number; executionId: string } | undefined,
    limit: number,
  ): Promise<{ executionId: string; itemIndex: number }[]>;
  /**
   * One retention batch, in one short transaction: deletes at most `limit` executions whose TTL
   * passed by `nowMs` (re-checked, so one re-driven since it was found stays), each with every
   * row of its own: projection, step outputs, interactions, admission entries, journal. The
   * candidates are `executionIds` when given (those archived first), else the soonest-expired
   * top-level executions. A parent's items go before it and the parent in the batch that
   * removes its last one, so an item never outlives its parent. On PostgreSQL rows another
   * transaction holds are skipped, never waited for. Resolves with how many executions (items
   * included) it deleted.
   */
  purgeExpired(command: {
    leader: LeaderFence;
    nowMs: number;
    limit: number;
    executionIds?: readonly string[];
  }): Promise<number>;
  /** Deletes up to `limit` outbox messages delivered before `beforeMs`, oldest first; how many. */
  pruneDeliveredOutbox(beforeMs: number, limit: number): Promise<number>;
}

/** A terminal top-level execution past its TTL, as retention finds it. */
export interface ExpiredExecution {
  readonly tenantId: string;
  readonly executionId: string;
  readonly pipelineId: string;
  readonly status: ExecutionStatus;
  /** The seq of its last journal event: an archive of this version holds its whole history. */
  readonly version: number;
  /** When it ended (its last transition). */
  readonly updatedAtMs: number;
  readonly expiresAtMs: number;
}

export interface OutboxStore {
  /** Messages neither delivered nor parked, oldest first (whatever their next attempt). */
  readOutbox(limit: number): Promise<OutboxMessage[]>;
  /** Parked messages (the relay gave up on them), oldest first. */
  listParkedOutbox(limit: number): Promise<OutboxMessage[]>;
  /**
   * Claims up to `limit` messages due for delivery by `nowMs` (neither delivered nor parked,
   * next attempt due, not claimed by another relay) until `nowMs + claimMs`, oldest first.
   * Two relays claiming at once get disjoint sets.
   */
  claimOutbox(command: { nowMs: number; limit: number; claimMs: number }): Promise<OutboxMessage[]>;
  markOutboxDelivered(ids: readonly number[], nowMs: number): Promise<void>;
  /**
   * Records a failed delivery: one more attempt and its error, then either the next attempt
   * at `retryAtMs` or, without one, the message parked for good.
   */
  failOutboxDelivery(command: {
    id: number;
    error: string;
    nowMs: number;
    retryAtMs: number | undefined;
  }): Promise<void>;
}

export type RegisterReleaseOutcome = 'created' | 'identical' | 'conflict';

export interface ReleaseStore {
  /** Releases are immutable: the same version with other metadata is a conflict. */
  registerRelease(release: ReleaseRecord): Promise<RegisterReleaseOutcome>;
  /** Appends an activation event; false when the release is unknown. */
  activateRelease(activation: Omit<ReleaseActivation, 'seq'>): Promise<boolean>;
  getRelease(
    tenantId: string,
    pipelineId: string,
    releaseVersion: string,
  ): Promise<ReleaseRecord | undefined>;
  /** The release named by the latest activation. */
  getActiveRelease(tenantId: string, pipelineId: string): Promise<ReleaseRecord | undefined>;
  listReleases(tenantId: string, pipelineId: string): Promise<ReleaseRecord[]>;
  listActivations(tenantId: string, pipelineId: string): Promise<ReleaseActivation[]>;
  /** The tenant's pipelines that have a registered release, with the active one and live counts. */
  listPipelines(tenantId: string): Promise<PipelineSummaryRecord[]>;
  /**
   * Registers a worker: its current-state row is written (HEALTHY, not draining) and a
   * REGISTER event appended to its history. With `keepEndpoint`, an existing worker whose
   * protocol or endpoint differs is left as it is and undefined returned (checked and written
   * in one statement, so two registrations cannot interleave).
   */
  registerWorker(
    registration: WorkerRegistrationRecord,
    options: { atMs: number; keepEndpoint: boolean },
  ): Promise<WorkerStateRecord | undefined>;
  /**
   * Applies a lifecycle signal to a registered worker's current-state row; undefined (nothing
   * recorded) for an unknown worker. Only transitions join the history: a heartbeat appends
   * nothing unless it brings an UNAVAILABLE worker back.
   */
  signalWorker(signal: WorkerSignal): Promise<WorkerStateRecord | undefined>;
  getWorker(tenantId: string, pipelineId: string, workerId: string): Promise<WorkerStateRecord | undefined>;
  listWorkers(tenantId: string, pipelineId: string): Promise<WorkerStateRecord[]>;
  /** The history of one pipeline's workers' transitions, oldest first. */
  listWorkerEvents(tenantId: string, pipelineId: string): Promise<WorkerEvent[]>;
  /** Deletes up to `limit` history events older than `beforeMs`, oldest first; how many it deleted. */
  pruneWorkerEvents(beforeMs: number, limit: number): Promise<number>;
  /** Every tenant and pipeline some worker is registered for. */
  listWorkerPipelines(): Promise<{ tenantId: string; pipelineId: string }[]>;
}

/** A named lease among the nodes sharing a store, e.g. the maintenance leader. */
export interface Leadership {
  readonly role: string;
  /** The holding process: its node id and an incarnation, so a restarted node is a new holder. */
  readonly holder: string;
  /** Raised each time the lease changes hands; a deposed holder's epoch is stale. */
  readonly epoch: number;
  readonly acquiredAtMs: number;
  readonly expiresAtMs: number;
}

/** What a leader-only command carries to prove its caller still leads. */
export interface LeaderFence {
  readonly role: string;
  readonly holder: string;
  readonly epoch: number;
}

export interface LeadershipStore {
  /**
   * Takes the lease for `holder` when it is free or ran out by `nowMs` (the epoch moves on),
   * or renews it when `holder` has it (same epoch); `takeOver` takes it from anyone (a store
   * one process owns). `undefined` when another holder's lease is still running.
   */
  acquireLeadership(command: {
    role: string;
    holder: string;
    nowMs: number;
    ttlMs: number;
    takeOver: boolean;
  }): Promise<Leadership | undefined>;
  /** Gives the lease up (at shutdown) so another node need not wait for it to run out. */
  releaseLeadership(fence: LeaderFence): Promise<void>;
  getLeadership(role: string): Promise<Leadership | undefined>;
}

/**
 * The node registry: every coordinator node sharing the store records itself, so any node can
 * list the cluster. Not fenced: each node writes its own row only.
 */
export interface NodeRegistryStore {
  /**
   * Records this node's heartbeat (its row created, or replaced by a newer start of the same
   * node id; a heartbeat of an earlier start than the one recorded changes nothing). Clears
   * `stoppedAtMs`.
   */
  recordNodeHeartbeat(heartbeat: NodeHeartbeat): Promise<void>;
  /** Marks the node stopped (at a clean stop), when `holder` is still the process recorded. */
  markNodeStopped(command: { nodeId: string; holder: string; atMs: number }): Promise<void>;
  /** Every recorded node, by node id. */
  listNodes(): Promise<ClusterNodeRecord[]>;
  /** Deletes the nodes whose last heartbeat (or stop) is before `beforeMs`; how many it deleted. */
  pruneNodes(beforeMs: number): Promise<number>;
}

/** Why a slot the leader took did not start an execution, recorded on the schedule. */
export interface SlotError {
  readonly code: string;
  readonly message: string;
}

/**
 * One move of a schedule's next slot by the maintenance leader, guarded by the leader's fence
 * and by the position it was planned from (`domain/missed-fire.ts`).
 */
export interface AdvanceScheduleCommand {
  readonly leader: LeaderFence;
  readonly tenantId: string;
  readonly scheduleId: string;
  /** Where the move was planned from: the schedule must still be there, and active. */
  readonly expectedNextFireAtMs: number;
  readonly nextFireAtMs: number;
  /**
   * The slot this move fires and its execution, submitted in the same transaction (its key is
   * the slot's, `slotExecutionKey`, and its `scheduleId` this schedule's); absent when the move
   * only skips slots, or the slot could not start an execution (`error`).
   */
  readonly fire?: { readonly slotMs: number; readonly submit: SubmitCommand } | undefined;
  /** The slot was taken but could not start an execution: recorded on the schedule. */
  readonly error?: SlotError | undefined;
  readonly nowMs: number;
}

export type AdvanceScheduleOutcome =
  /** The fence or the guard refused (another leader, a pause, a delete, another move won): nothing was written. */
  | { readonly kind: 'lost' }
  /** Moved on without an execution: slots skipped, or a slot that could not fire (`error`). */
  | { readonly kind: 'advanced' }
  /** Moved on; the slot's execution was created, or (`duplicate`) already existed under its key. */
  | { readonly kind: 'fired'; readonly execution: ExecutionRecord; readonly duplicate: boolean }
  /** Moved on; the slot's key names an execution of another input, so none was started. */
  | { readonly kind: 'conflict'; readonly execution: ExecutionRecord };

/**
 * Schedules (docs/schedules.md). The admin commands are guarded single-row writes; only the
 * maintenance leader moves a schedule's next slot (`advanceSchedule`), under its fence.
 */
export interface ScheduleStore {
  createSchedule(schedule: ScheduleRecord): Promise<void>;
  getSchedule(tenantId: string, scheduleId: string): Promise<ScheduleRecord | undefined>;
  /** A tenant's schedules (of one pipeline, when given), oldest first. */
  listSchedules(tenantId: string, pipelineId: string | undefined): Promise<ScheduleRecord[]>;
  /**
   * Pauses or resumes a schedule; undefined when there is none. A schedule already so is
   * answered as it is. Resuming leaves the next slot where it was: the slots that passed while
   * paused are missed, and its missed-fire policy says which fire.
   */
  setSchedulePaused(command: {
    tenantId: string;
    scheduleId: string;
    paused: boolean;
    nowMs: number;
  }): Promise<ScheduleRecord | undefined>;
  /** Deletes a schedule and answers it as it was; undefined when there is none. Its executions stay. */
  deleteSchedule(tenantId: string, scheduleId: string): Promise<ScheduleRecord | undefined>;
  /** Active schedules whose next slot is due by `nowMs`, earliest first (every tenant). */
  findDueSchedules(nowMs: number, limit: number): Promise<ScheduleRecord[]>;
  /**
   * Moves a schedule's next slot from `expectedNextFireAtMs` to `nextFireAtMs` and, with
   * `fire`, submits the slot's execution, in one transaction under the leader's fence: a slot
   * fires once across leader changes and crashes, and a stale leader's move writes nothing.
   */
  advanceSchedule(command: AdvanceScheduleCommand): Promise<AdvanceScheduleOutcome>;
}

/**
 * What another node sharing the store changed, as hints: a receiver re-reads the store, so
 * a lost or duplicated signal costs latency, never correctness.
 */
export type StoreSignal =
  /** Work may be due now (a submit, a completion, a re-drive, a reclaimed lease). */
  | { readonly kind: 'due' }
  | { readonly kind: 'changed'; readonly executionIds: readonly string[] }
  | { readonly kind: 'release'; readonly tenantId: string; readonly pipelineId: string }
  | { readonly kind: 'workers'; readonly tenantId: string; readonly pipelineId: string }
  /** Signals may have been missed (the listener reconnected): re-read everything. */
  | { readonly kind: 'resync' };

export interface StoreSignals {
  /** Calls `listener` for every signal from another node; returns the unsubscribe. */
  subscribe(listener: (signal: StoreSignal) => void): () => void;
}
