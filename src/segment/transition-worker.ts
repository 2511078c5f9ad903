import type { Context, Tracer } from '@opentelemetry/api';
import type { Timers } from '../runtime/timers.ts';

/**
 * The seam between coordinator and transition workers (docs/architecture.md#data-flow). A segment runs from
 * `currentStepIndex` to the next durable boundary: an await or the end of the pipeline.
 */
export interface SegmentCommand {
  readonly tenantId: string;
  readonly executionId: string;
  readonly pipelineId: string;
  readonly contractVersion: string;
  readonly releaseVersion: string;
  readonly currentStepIndex: number;
  /**
   * The try number of the step at `currentStepIndex`, counted across re-drives (never the same
   * for two tries of it): `ctx.attempt`. The retry budget is counted by the coordinator alone.
   */
  readonly attempt: number;
  readonly executionVersion: number;
  readonly leaseEpoch: number;
  /** `executionId:stepIndex:attempt`. */
  readonly transitionKey: string;
  /**
   * For workers that predate the stable `ctx.idempotencyKey` and key a step by attempt: the
   * attempt whose key the current step keeps, `attempt` unless the tries since it ended with an
   * unknown remote outcome. This runner's key is stable and does not read it.
   */
  readonly idempotencyAttempt?: number;
  /**
   * Where the segment stops at the latest, exclusive: an item's continuation stops before its
   * aggregate step (docs/items.md). Absent: the next await or the end of the pipeline.
   */
  readonly stopBeforeStepIndex?: number;
  /** The input of the step at `currentStepIndex`, as JSON. */
  readonly input: unknown;
}

/** A step failure, reported as data: it is stored and shown, never thrown across the seam. */
export interface StepFailureReport {
  readonly failureClass: string;
  readonly code: string;
  readonly message: string;
  readonly nonRetryable: boolean;
  /** The step opted out of the DLQ (`dlq: false`). */
  readonly skipDlq: boolean;
  /** Where the step threw, truncated (`src/domain/error-stack.ts`); absent when nothing threw. */
  readonly stack?: string;
}

export interface AwaitSuspension {
  readonly stepId: string;
  readonly requestPayload: unknown;
  readonly deadlineMs: number;
  readonly group: string | null;
  readonly assignee: string | null;
  readonly transportType: string;
}

/** Per-step outputs not yet checkpointed through the hooks (a remote worker returns them). */
export interface StepOutput {
  readonly stepIndex: number;
  readonly output: unknown;
}

export type SegmentResult =
  | {
      readonly outcome: 'COMPLETED';
      readonly stepIndex: number;
      readonly output: unknown;
      readonly outputs?: StepOutput[];
    }
  | {
      readonly outcome: 'WAITING_EXTERNAL';
      readonly stepIndex: number;
      readonly suspension: AwaitSuspension;
      readonly outputs?: StepOutput[];
    }
  | {
      readonly outcome: 'FAILED';
      readonly stepIndex: number;
      readonly failure: StepFailureReport;
      readonly outputs?: StepOutput[];
    }
  /** The lease was lost mid-segment (a checkpoint was refused): nothing more to commit. */
  | { readonly outcome: 'ABANDONED' }
  /** The worker does not host the pinned identity: a dispatch error, not a step failure. */
  | { readonly outcome: 'REFUSED'; readonly reason: string }
  /**
   * A remote worker that the command never reached (connection refused, connect timeout) or
   * that refused it unread (bad credentials): nothing ran, so no attempt is spent.
   */
  | { readonly outcome: 'UNREACHABLE'; readonly reason: string }
  /**
   * The command was sent but no trustworthy answer came back (a timeout, a dropped
   * connection, an unsigned reply): the segment may or may not have run.
   */
  | { readonly outcome: 'OUTCOME_UNKNOWN'; readonly reason: string };

/** What the coordinator lends a worker while a segment runs. */
export interface SegmentHooks {
  /** Commits a step's output, fenced by the lease; false means the lease is gone: stop. */
  checkpoint(stepIndex: number, output: unknown): Promise<boolean>;
  /** Reads the checkpointed output of an earlier step. */
  outputOf(stepIndex: number): Promise<unknown>;
  /**
   * The checkpointed outputs of the steps below `belowStepIndex`, in step order, in one read:
   * what a segment that needs them all (a remote one, which sends them along) asks for.
   */
  outputsBefore(belowStepIndex: number): Promise<StepOutput[]>;
  /** Aborted on cancel or a lost lease: the segment stops waiting for its step at once. */
  readonly signal: AbortSignal;
  /** What step timeouts are scheduled with; the system timers when absent. */
  readonly timers?: Timers;
  /** The timeout of a step that sets none; `DEFAULT_STEP_TIMEOUT_MS` when absent. */
  readonly stepTimeoutMs?: number;
  /** The segment's span, which each step's span is a child of; no step spans when absent. */
  readonly trace?: SegmentTrace;
}

/** Where a segment's spans go (docs/tracing.md). */
export interface SegmentTrace {
  readonly tracer: Tracer;
  /** The context of the segment's span. */
  readonly context: Context;
  /** Its W3C `traceparent`, sent to a remote worker; absent when tracing is off. */
  readonly traceparent?: string | undefined;
}

export interface TransitionWorker {
  readonly workerId: string;
  readonly protocol: 'local' | 'rest' | 'grpc';
  /** Release versions this worker hosts, each with its pipeline and contract. */
  hostedReleases(): readonly HostedRelease[];
  execute(command: SegmentCommand, hooks: SegmentHooks): Promise<SegmentResult>;
}

export interface HostedRelease {
  readonly tenantId: string;
  readonly pipelineId: string;
  readonly contractVersion: string;
  readonly releaseVersion: string;
}
