import { decideUnknownOutcome } from '../domain/remote-outcome-policy.ts';
import { awaitPublication } from '../awaits/await-publication.ts';
import { decideFailure, type FailureDecision } from '../domain/retry-policy.ts';
import { deadLetterPublication } from '../dlq/dead-letter.ts';
import type { TimerHandle } from '../runtime/timers.ts';
import type { ClaimedSegment, Fence } from '../store/store-port.ts';
import type {
  SegmentCommand,
  SegmentResult,
  SegmentTrace,
  StepOutput,
  TransitionWorker,
} from '../segment/transition-worker.ts';
import { parkedFor } from '../domain/parking.ts';
import { dispatchHistory, dispatchRetryAt, type DispatchErrorCode } from './dispatch-errors.ts';
import type { ExecutionWatch } from './execution-watch.ts';
import { idempotencyAttemptOf } from './idempotency-attempt.ts';
import type { StepRetryPolicies } from './step-retry-policies.ts';
import type { AwaitAdmissions } from './await-admissions.ts';
import { stepAttemptOf, type AttemptCount } from '../domain/step-attempt.ts';
import { FailureCode } from '../domain/failure-codes.ts';
import type { LifecycleLog } from './lifecycle-log.ts';
import type { CoordinatorDeps } from './coordinator-deps.ts';
import { NO_TRACING } from '../tracing/tracing.ts';
import { startSegmentSpan } from './engine-spans.ts';
import type { PinnedSteps } from './pinned-steps.ts';
import type { ContractStep } from '../releases/pipeline-contract.ts';
import { fingerprint } from '../util/canonical-json.ts';

interface InFlight {
  readonly tenantId: string;
  readonly fence: Fence;
  readonly abort: AbortController;
  readonly done: Promise<void>;
}

/** The coordinator's own deps the dispatcher runs on, plus what the coordinator builds for it. */
export interface DispatcherDeps extends Pick<
  CoordinatorDeps,
  'store' | 'clock' | 'timers' | 'random' | 'logger' | 'config' | 'workers' | 'tracing'
> {
  readonly watch: ExecutionWatch;
  /** Where the lifecycle lines of the commits it makes go. */
  readonly lifecycle: LifecycleLog;
  /** Each step's retry policy (its own, else the global one); the global one when absent. */
  readonly retryPolicies?: StepRetryPolicies;
  /** The pinned release's steps: where items start and end (docs/items.md). Without it, no expansion. */
  readonly pinnedSteps?: PinnedSteps;
  /** Each await step's admission budget; none (unbounded) when absent. */
  readonly admissions?: AwaitAdmissions;
  /** Called after a commit that wrote an outbox publication, so it is relayed promptly. */
  readonly onPublication?: () => void;
  /** Called after a commit that made something due at `atMs` (a retry, an await deadline). */
  readonly onDueAt?: (atMs: number) => void;
  /** Called when a remote worker could not be reached: it must take no more work until it heartbeats. */
  readonly onWorkerUnreachable?: (
    worker: TransitionWorker,
    at: { tenantId: string; pipelineId: string },
    reason: string,
  ) => Promise<void>;
}

/** A failure to commit: a step's own, or the coordinator's verdict on an unknown remote outcome. */
interface FailureToCommit {
  readonly stepIndex: number;
  readonly attempt: number;
  readonly code: string;
  readonly message: string;
  readonly retryable: boolean;
  readonly stack?: string | undefined;
}

/**
 * Moves due executions through workers: claims them in batches (as many as there are free
 * slots), runs each segment, and commits its outcome under the lease's fencing epoch. A
 * wake-up (submit, completion, a segment finishing, a due timer) starts a pump; there is no
 * polling while nothing is due. Leases of running segments are renewed together.
 */
export class Dispatcher {
  readonly #d: DispatcherDeps;
  readonly #inFlight = new Map<string, InFlight>();
  #pumping: Promise<void> | undefined;
  #again = false;
  #stopped = false;
  #renewTimer: TimerHandle | undefined;

  constructor(deps: DispatcherDeps) {
    this.#d = deps;
  }

  get inFlightCount(): number {
    return this.#inFlight.size;
  }

  isRunning(executionId: string): boolean {
    return this.#inFlight.has(executionId);
  }

  /** Asks for a pump; concurrent requests fold into one more round. */
  wake(): void {
    if (this.#stopped) return;
    void this.pump().catch((error: unknown) => this.#d.logger.error({ err: error }, 'dispatch pump failed'));
  }

  /**
   * Claims and starts due work until no slot is free or nothing more is due. A caller that
   * arrives while a pump runs gets that pump's promise, which takes one more round for it:
   * either way the promise settles only after the claims made for the caller.
   */
  pump(): Promise<void> {
    if (this.#pumping) {
      this.#again = true;
      return this.#pumping;
    }
    const pumping = this.#pumpRounds();
    this.#pumping = pumping;
    return pumping;
  }

  async #pumpRounds(): Promise<void> {
    // Yield first, so `pump()` has recorded this promise before the `finally` below can clear it.
    await Promise.resolve();
    try {
      do {
        this.#again = false;
        const free = this.#d.config.maxInFlight - this.#inFlight.size;
        if (free <= 0 || this.#stopped) break;
        const claimed = await this.#d.store.claimDue({
          nowMs: this.#d.clock.now(),
          limit: free,
          owner: this.#d.config.nodeId,
          leaseMs: this.#d.config.leaseMs,
          routes: this.#d.workers.routes(),
        });
        for (const segment of claimed.segments) this.#start(segment);
        // Slots left, or executions parked ahead of what may be due behind them: look again.
        if (claimed.segments.length === free || claimed.parked > 0) this.#again = true;
      } while (this.#again);
    } finally {
      this.#pumping = undefined;
    }
  }

  /** Resolves when no segment is running (segments started meanwhile included). */
  async drain(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight.values()].map((f) => f.done));
  }

  /** Aborts a running segment of this execution (after cancel): its commits are already fenced out. */
  abort(executionId: string): void {
    this.#inFlight.get(executionId)?.abort.abort();
  }

  /**
   * Another node changed these executions: any of them running here whose lease it took away
   * (a cancel, a reclaim) is aborted, so its step hears its signal and its slot is free again.
   * A remote step's call is aborted the same way; its result would be fenced out anyway.
   */
  async abortIfFenced(executionIds: readonly string[]): Promise<void> {
    for (const id of executionIds) {
      const running = this.#inFlight.get(id);
      if (!running || running.abort.signal.aborted) continue;
      const now = await this.#d.store.getExecution(running.tenantId, id);
      const held =
        now?.status === 'RUNNING' &&
        now.leaseEpoch === running.fence.leaseEpoch &&
        now.leaseOwner === this.#d.config.nodeId;
      // The entry may have been replaced while the store answered: abort only the one read for.
      if (!held && this.#inFlight.get(id) === running) running.abort.abort();
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#renewTimer) this.#d.timers.clearTimeout(this.#renewTimer);
    this.#renewTimer = undefined;
    await this.drain();
  }

  #start(segment: ClaimedSegment): void {
    const x = segment.execution;
    const fence = { executionId: x.executionId, leaseEpoch: x.leaseEpoch };
    const abort = new AbortController();
    // The watch hears only of the segment's end: a claim or a checkpoint leaves the execution
    // RUNNING, which no waiter waits for, and waking one would cost it a read for nothing.
    const done = this.#run(segment, fence, abort)
      .catch((error: unknown) =>
        this.#d.logger.error(
          { err: error, executionId: x.executionId },
          'segment commit failed; the lease will expire',
        ),
      )
      .finally(() => {
        this.#inFlight.delete(x.executionId);
        this.#d.watch.changed(x.executionId);
        this.wake();
      });
    this.#inFlight.set(x.executionId, { tenantId: x.tenantId, fence, abort, done });
    this.#scheduleRenewal();
  }

  async #run(segment: ClaimedSegment, fence: Fence, abort: AbortController): Promise<void> {
    const x = segment.execution;
    const { store } = this.#d;
    // The step's try number, counted across re-drives: never the same for two tries.
    const offset = stepAttemptOf(x) - x.attempt;
    let command: SegmentCommand = {
      tenantId: x.tenantId,
      executionId: x.executionId,
      pipelineId: x.pipelineId,
      contractVersion: x.contractVersion,
      releaseVersion: x.releaseVersion,
      currentStepIndex: x.stepIndex,
      attempt: offset + x.attempt,
      executionVersion: x.version,
      leaseEpoch: x.leaseEpoch,
      transitionKey: `${x.executionId}:${x.stepIndex}:${offset + x.attempt}`,
      // An item's continuation stops before its parent's aggregate step.
      ...(x.endStepIndex === null ? {} : { stopBeforeStepIndex: x.endStepIndex }),
      input: segment.input,
    };
    // Still sent for workers that predate the stable `ctx.idempotencyKey` and key by attempt.
    const idempotencyAttempt = offset + (await idempotencyAttemptOf(store, x));
    if (idempotencyAttempt !== command.attempt) command = { ...command, idempotencyAttempt };
    const worker = this.#d.workers.pick(x);
    const steps = await this.#d.pinnedSteps?.of(x);
    const span = startSegmentSpan(this.#d.tracing ?? NO_TRACING, x, command.attempt, worker);
    let result: SegmentResult = { outcome: 'ABANDONED' };
    try {
      // An expansion with no aggregate after it ends the pipeline with its items' outcomes,
      // which the claim gave as this segment's input: no step runs.
      result =
        x.itemsTotal !== null && steps !== undefined && x.stepIndex >= steps.length
          ? { outcome: 'COMPLETED', stepIndex: x.stepIndex, output: segment.input }
          : await this.#execute(segment, command, fence, abort, worker, span.trace);
      await this.#commit(segment, fence, result, worker, steps);
    } finally {
      span.end(result);
    }
  }

  /** Runs the segment on `worker`; a worker that throws has failed the try. */
  async #execute(
    segment: ClaimedSegment,
    command: SegmentCommand,
    fence: Fence,
    abort: AbortController,
    worker: TransitionWorker | undefined,
    trace: SegmentTrace,
  ): Promise<SegmentResult> {
    const x = segment.execution;
    const { store, clock } = this.#d;
    let result: SegmentResult;
    if (!worker) {
      result = { outcome: 'REFUSED', reason: `no worker hosts release ${x.releaseVersion}` };
    } else {
      try {
        result = await worker.execute(command, {
          signal: abort.signal,
          timers: this.#d.timers,
          stepTimeoutMs: this.#d.config.stepTimeoutMs,
          checkpoint: async (stepIndex, output) => {
            const won = await store.checkpointStep({ ...fence, stepIndex, output, nowMs: clock.now() });
            if (!won) abort.abort();
            else await this.#d.lifecycle.stepSucceeded(x, stepIndex, attemptAt(x, stepIndex));
            return won;
          },
          outputOf: async (stepIndex) => (await store.getStepOutput(x.executionId, stepIndex))?.output,
          outputsBefore: (belowStepIndex) => store.getStepOutputs(x.executionId, belowStepIndex),
          trace,
        });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        result = {
          outcome: 'FAILED',
          stepIndex: x.stepIndex,
          failure: {
            failureClass: 'TransportError',
            code: FailureCode.WORKER_ERROR,
            message,
            nonRetryable: false,
            skipDlq: false,
          },
        };
      }
    }
    return result;
  }

  async #commit(
    segment: ClaimedSegment,
    fence: Fence,
    result: SegmentResult,
    worker: TransitionWorker | undefined,
    steps?: readonly ContractStep[],
  ): Promise<void> {
    const x = segment.execution;
    const { store, clock, config, random, logger } = this.#d;
    const nowMs = clock.now();
    const expiresAtMs = nowMs + config.executionTtlMs;
    // Steps a remote worker completed before it stopped arrive with its outcome, and are
    // committed with it, in one transaction; a local worker checkpointed its own as it went.
    const outputs = 'outputs' in result ? (result.outputs ?? []) : [];
    switch (result.outcome) {
      case 'COMPLETED': {
        // A segment that stops at an expand step completes it with its items.
        if (steps?.[result.stepIndex]?.kind === 'expand') {
          await this.#expand(segment, fence, outputs, { ...result, steps }, nowMs);
          return;
        }
        const won = await store.commitSegment({
          ...fence,
          outputs,
          outcome: { kind: 'succeed', stepIndex: result.stepIndex, result: result.output, expiresAtMs },
          nowMs,
        });
        if (!won) return;
        await this.#logOutputs(x, outputs);
        await this.#d.lifecycle.stepSucceeded(x, result.stepIndex, attemptAt(x, result.stepIndex));
        this.#d.lifecycle.executionSucceeded(x);
        return;
      }
      case 'WAITING_EXTERNAL': {
        const s = result.suspension;
        const interactionId = random.uuid();
        const deadlineAtMs = nowMs + s.deadlineMs;
        const admissionLimit = await this.#d.admissions?.limitOf(x, result.stepIndex);
        const interaction = {
          interactionId,
          correlationId: interactionId,
          unitId: random.uuid(),
          stepId: s.stepId,
          requestPayload: s.requestPayload,
          assignee: s.assignee,
          group: s.group,
          transportType: s.transportType,
          deadlineAtMs,
          ...(admissionLimit === undefined ? {} : { admissionLimit }),
        };
        // A broker or webhook transport's request is published through the outbox, committed with the park.
        const publication = awaitPublication(x, interaction);
        const parked = await store.commitSegment({
          ...fence,
          outputs,
          nowMs,
          outcome: { kind: 'suspend', stepIndex: result.stepIndex, interaction, publication },
        });
        if (!parked) return;
        if (publication) this.#d.onPublication?.();
        this.#d.onDueAt?.(deadlineAtMs);
        await this.#logOutputs(x, outputs);
        this.#d.lifecycle.parked(x, result.stepIndex, { interactionId, stepId: s.stepId, deadlineAtMs });
        return;
      }
      case 'FAILED': {
        const f = result.failure;
        const attempt = result.stepIndex === x.stepIndex ? x.attempt : 0;
        const skipDlq = f.skipDlq || config.dlqProvider === 'none';
        const failure = { stepIndex: result.stepIndex, attempt, code: f.code, message: f.message };
        const policy = (await this.#d.retryPolicies?.of(x, result.stepIndex)) ?? config;
        const decision = decideFailure(
          policy,
          { attempt, retryable: !f.nonRetryable, skipDlq },
          nowMs,
          random,
        );
        const toCommit = { ...failure, retryable: !f.nonRetryable, stack: f.stack };
        await this.#fail(segment, fence, outputs, toCommit, decision, nowMs);
        return;
      }
      case 'OUTCOME_UNKNOWN': {
        const facts = { attempt: x.attempt, skipDlq: config.dlqProvider === 'none' };
        const policy = config.remoteOutcomeUnknownPolicy;
        const retry = (await this.#d.retryPolicies?.of(x, x.stepIndex)) ?? config;
        const decision = decideUnknownOutcome(policy, retry, facts, nowMs, random);
        logger.warn(
          {
            executionId: x.executionId,
            workerId: worker?.workerId,
            reason: result.reason,
            decision: decision.kind,
          },
          'remote outcome unknown',
        );
        const failure = {
          stepIndex: x.stepIndex,
          attempt: x.attempt,
          code: FailureCode.REMOTE_OUTCOME_UNKNOWN,
        };
        await this.#fail(
          segment,
          fence,
          [],
          { ...failure, message: result.reason, retryable: true },
          decision,
          nowMs,
        );
        return;
      }
      case 'UNREACHABLE':
        // Nothing ran: the worker leaves the routing table until it heartbeats again.
        logger.warn(
          { executionId: x.executionId, workerId: worker?.workerId, reason: result.reason },
          'worker unreachable; the segment goes back to due',
        );
        if (worker) await this.#d.onWorkerUnreachable?.(worker, x, result.reason);
        await this.#dispatchFailed(segment, fence, FailureCode.WORKER_UNREACHABLE, result.reason, nowMs);
        return;
      case 'REFUSED':
        logger.warn({ executionId: x.executionId, reason: result.reason }, 'dispatch refused by worker');
        await this.#dispatchFailed(segment, fence, FailureCode.DISPATCH_REFUSED, result.reason, nowMs);
        return;
      case 'ABANDONED':
        return;
    }
  }

  /**
   * Commits an expand step's items as child executions (docs/items.md), in one transaction
   * with the segment's outputs: each item runs the steps up to the next aggregate (or to the
   * end), and the parent waits for them there. More items than the limit fail the step.
   */
  async #expand(
    segment: ClaimedSegment,
    fence: Fence,
    outputs: readonly StepOutput[],
    at: { stepIndex: number; output: unknown; steps: readonly ContractStep[] },
    nowMs: number,
  ): Promise<void> {
    const x = segment.execution;
    const { store, config, random } = this.#d;
    const items = Array.isArray(at.output) ? (at.output as unknown[]) : [];
    if (items.length > config.maxItemsPerExecution) {
      const attempt = at.stepIndex === x.stepIndex ? x.attempt : 0;
      const policy = (await this.#d.retryPolicies?.of(x, at.stepIndex)) ?? config;
      const skipDlq = config.dlqProvider === 'none';
      const decision = decideFailure(policy, { attempt, retryable: false, skipDlq }, nowMs, random);
      const message = `expand step made ${items.length} items, more than capstan.items.max-per-execution (${config.maxItemsPerExecution})`;
      const failure = { stepIndex: at.stepIndex, attempt, code: FailureCode.ITEMS_LIMIT_EXCEEDED, message };
      await this.#fail(segment, fence, outputs, { ...failure, retryable: false }, decision, nowMs);
      return;
    }
    const aggregate = at.steps.findIndex((s) => s.index > at.stepIndex && s.kind === 'aggregate');
    const won = await store.commitSegment({
      ...fence,
      outputs,
      outcome: {
        kind: 'expand',
        stepIndex: at.stepIndex,
        items: items.map((input) => ({
          executionId: random.uuid(),
          input,
          inputFingerprint: fingerprint(input),
        })),
        endStepIndex: aggregate < 0 ? null : aggregate,
        resumeStepIndex: aggregate < 0 ? at.steps.length : aggregate,
      },
      nowMs,
    });
    if (!won) return;
    await this.#logOutputs(x, outputs);
    await this.#d.lifecycle.stepSucceeded(x, at.stepIndex, attemptAt(x, at.stepIndex));
  }

  /**
   * A dispatch error (the worker refused the command, or could not be reached): not a step
   * failure, so the attempt is not spent, but each one in a row waits longer (capped), and
   * past a bound the execution is parked until a worker for its route registers or
   * heartbeats, so a worker that never answers does not grow the journal on every pass.
   */
  async #dispatchFailed(
    segment: ClaimedSegment,
    fence: Fence,
    errorCode: DispatchErrorCode,
    reason: string,
    nowMs: number,
  ): Promise<void> {
    const x = segment.execution;
    const { store, config } = this.#d;
    const history = await dispatchHistory(store, x);
    const dueAtMs = dispatchRetryAt(config, errorCode, history, nowMs);
    const won = await store.fail({
      ...fence,
      stepIndex: x.stepIndex,
      failure: { errorCode, errorMessage: reason },
      decision: { kind: 'retry', attempt: x.attempt, dueAtMs },
      publication: undefined,
      nowMs,
      expiresAtMs: nowMs + config.executionTtlMs,
    });
    if (won && parkedFor(dueAtMs) === undefined) this.#d.onDueAt?.(dueAtMs);
  }

  /**
   * Commits a failure as decided: a retry, the DLQ (with its publication) or FAILED, together
   * with the outputs of the steps the segment completed before it.
   */
  async #fail(
    segment: ClaimedSegment,
    fence: Fence,
    outputs: readonly StepOutput[],
    failure: FailureToCommit,
    decision: FailureDecision,
    nowMs: number,
  ): Promise<void> {
    const x = segment.execution;
    const publication =
      decision.kind === 'dlq'
        ? deadLetterPublication({
            tenantId: x.tenantId,
            executionId: x.executionId,
            executionKey: x.executionKey,
            transitionKey: `${x.executionId}:${failure.stepIndex}:${attemptAt(x, failure.stepIndex)}`,
            reason: decision.reason,
            errorCode: failure.code,
            errorMessage: failure.message,
            retryable: failure.retryable,
            retriesObserved: failure.attempt,
            nowMs,
          })
        : undefined;
    const won = await this.#d.store.commitSegment({
      ...fence,
      outputs,
      outcome: {
        kind: 'fail',
        stepIndex: failure.stepIndex,
        failure: {
          errorCode: failure.code,
          errorMessage: failure.message,
          ...(failure.stack === undefined ? {} : { errorStack: failure.stack }),
        },
        decision,
        publication,
        expiresAtMs: nowMs + this.#d.config.executionTtlMs,
      },
      nowMs,
    });
    if (!won) return;
    if (publication) this.#d.onPublication?.();
    if (decision.kind === 'retry') this.#d.onDueAt?.(decision.dueAtMs);
    await this.#logOutputs(x, outputs);
    await this.#d.lifecycle.failed(
      x,
      {
        stepIndex: failure.stepIndex,
        attempt: attemptAt(x, failure.stepIndex),
        errorCode: failure.code,
        errorMessage: failure.message,
      },
      decision,
      nowMs,
    );
  }

  /** The steps a remote segment completed before it stopped, committed with its outcome. */
  async #logOutputs(x: ClaimedSegment['execution'], outputs: readonly StepOutput[]): Promise<void> {
    for (const o of outputs) await this.#d.lifecycle.stepSucceeded(x, o.stepIndex, attemptAt(x, o.stepIndex));
  }

  #scheduleRenewal(): void {
    if (this.#renewTimer || this.#stopped) return;
    this.#renewTimer = this.#d.timers.setTimeout(
      () => {
        this.#renewTimer = undefined;
        if (this.#inFlight.size === 0) return;
        // An aborted segment (cancelled, lease lost) is on its way out: its lease is not kept.
        const fences = [...this.#inFlight.values()]
          .filter((f) => !f.abort.signal.aborted)
          .map((f) => f.fence);
        this.#d.store
          .renewLeases(fences, this.#d.clock.now() + this.#d.config.leaseMs)
          .catch((error: unknown) => this.#d.logger.error({ err: error }, 'lease renewal failed'))
          .finally(() => this.#scheduleRenewal());
      },
      Math.max(1, Math.floor(this.#d.config.leaseMs / 3)),
    );
  }
}

/** The try a step of this segment is on: the claimed try number for its first step, 0 for the rest. */
function attemptAt(x: AttemptCount, stepIndex: number): number {
  return stepIndex === x.stepIndex ? stepAttemptOf(x) : 0;
}
