import { decideUnknownOutcome } from '../domain/remote-outcome-policy.ts';
import { awaitPublication } from '../awaits/await-publication.ts';
import { decideFailure, type FailureDecision } from '../domain/retry-policy.ts';
import { deadLetterPublication } from '../dlq/dead-letter.ts';
import type { ExecutionRecord } from '../store/records.ts';
import type { Fence } from '../store/store-port.ts';
import type { SegmentResult, StepOutput, TransitionWorker } from '../segment/transition-worker.ts';
import { parkedFor } from '../domain/parking.ts';
import { dispatchHistory, dispatchRetryAt, type DispatchErrorCode } from './dispatch-errors.ts';
import type { StepRetryPolicies } from './step-retry-policies.ts';
import { stepAttemptOf, type AttemptCount } from '../domain/step-attempt.ts';
import { FailureCode } from '../domain/failure-codes.ts';
import type { LifecycleLog } from './lifecycle-log.ts';
import type { CoordinatorDeps } from './coordinator-deps.ts';
import type { AwaitAdmissions } from './await-admissions.ts';
import type { FailureFingerprints } from './failure-fingerprints.ts';
import type { PinnedSteps } from './pinned-steps.ts';
import type { ContractStep } from '../releases/pipeline-contract.ts';
import { fingerprint } from '../util/canonical-json.ts';

/** What committing a segment's end takes: the coordinator's deps, and where to report what it wrote. */
export interface SegmentCommitDeps extends Pick<
  CoordinatorDeps,
  'store' | 'clock' | 'random' | 'logger' | 'config'
> {
  /** Where the lifecycle lines of the commits it makes go. */
  readonly lifecycle: LifecycleLog;
  /** Each step's retry policy (its own, else the global one); the global one when absent. */
  readonly retryPolicies?: StepRetryPolicies;
  /** Each await step's admission budget; none (unbounded) when absent. */
  readonly admissions?: AwaitAdmissions;
  /** The pinned release's steps: where items start and end (docs/items.md). Without it, no expansion. */
  readonly pinnedSteps?: PinnedSteps;
  /** Fingerprints a failure that ends the execution (DLQ or FAILED); none kept when absent. */
  readonly fingerprints?: FailureFingerprints;
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
 * Commits how a segment ended, under the fence of its claim: what `Store.commitSegment` (or,
 * for a dispatch error, `Store.fail`) writes for each outcome, the failure decisions (retry,
 * DLQ, FAILED) and the lifecycle lines. The dispatcher commits what its workers return with
 * it, and the pull API what a pull worker reports, so both end a segment the same way.
 */
export class SegmentCommitter {
  readonly #d: SegmentCommitDeps;

  constructor(deps: SegmentCommitDeps) {
    this.#d = deps;
  }

  /**
   * Commits how a segment ended under the claimed fence; true when it was written, false when
   * the fence was lost (nothing written) or there was nothing to write (`ABANDONED`).
   */
  async commit(
    x: ExecutionRecord,
    fence: Fence,
    result: SegmentResult,
    worker: TransitionWorker | undefined,
  ): Promise<boolean> {
    const { store, clock, config, random, logger } = this.#d;
    const nowMs = clock.now();
    const expiresAtMs = nowMs + config.executionTtlMs;
    // Steps a remote worker completed before it stopped arrive with its outcome, and are
    // committed with it, in one transaction; a local worker checkpointed its own as it went.
    const outputs = 'outputs' in result ? (result.outputs ?? []) : [];
    switch (result.outcome) {
      case 'COMPLETED': {
        // A segment that stops at an expand step completes it with its items.
        const steps = await this.#d.pinnedSteps?.of(x);
        if (steps?.[result.stepIndex]?.kind === 'expand')
          return this.#expand(x, fence, outputs, { ...result, steps }, nowMs);
        const won = await store.commitSegment({
          ...fence,
          outputs,
          outcome: { kind: 'succeed', stepIndex: result.stepIndex, result: result.output, expiresAtMs },
          nowMs,
        });
        if (!won) return false;
        await this.#logOutputs(x, outputs);
        await this.#d.lifecycle.stepSucceeded(x, result.stepIndex, attemptAt(x, result.stepIndex));
        this.#d.lifecycle.executionSucceeded(x);
        return true;
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
        if (!parked) return false;
        if (publication) this.#d.onPublication?.();
        this.#d.onDueAt?.(deadlineAtMs);
        await this.#logOutputs(x, outputs);
        this.#d.lifecycle.parked(x, result.stepIndex, { interactionId, stepId: s.stepId, deadlineAtMs });
        return true;
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
        return this.#fail(x, fence, outputs, toCommit, decision, nowMs);
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
        return this.#fail(
          x,
          fence,
          [],
          { ...failure, message: result.reason, retryable: true },
          decision,
          nowMs,
        );
      }
      case 'UNREACHABLE':
        // Nothing ran: the worker leaves the routing table until it heartbeats again.
        logger.warn(
          { executionId: x.executionId, workerId: worker?.workerId, reason: result.reason },
          'worker unreachable; the segment goes back to due',
        );
        if (worker) await this.#d.onWorkerUnreachable?.(worker, x, result.reason);
        return this.#dispatchFailed(x, fence, FailureCode.WORKER_UNREACHABLE, result.reason, nowMs);
      case 'REFUSED':
        logger.warn({ executionId: x.executionId, reason: result.reason }, 'dispatch refused by worker');
        return this.#dispatchFailed(x, fence, FailureCode.DISPATCH_REFUSED, result.reason, nowMs);
      case 'ABANDONED':
        return false;
    }
  }

  /**
   * A dispatch error (the worker refused the command, or could not be reached): not a step
   * failure, so the attempt is not spent, but each one in a row waits longer (capped), and
   * past a bound the execution is parked until a worker for its route registers or
   * heartbeats, so a worker that never answers does not grow the journal on every pass.
   */
  async #dispatchFailed(
    x: ExecutionRecord,
    fence: Fence,
    errorCode: DispatchErrorCode,
    reason: string,
    nowMs: number,
  ): Promise<boolean> {
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
    return won;
  }

  /**
   * Commits an expand step's items as child executions (docs/items.md), in one transaction
   * with the segment's outputs: each item runs the steps up to the next aggregate (or to the
   * end), and the parent waits for them there. More items than the limit fail the step.
   */
  async #expand(
    x: ExecutionRecord,
    fence: Fence,
    outputs: readonly StepOutput[],
    at: { stepIndex: number; output: unknown; steps: readonly ContractStep[] },
    nowMs: number,
  ): Promise<boolean> {
    const { store, config, random } = this.#d;
    const items = Array.isArray(at.output) ? (at.output as unknown[]) : [];
    if (items.length > config.maxItemsPerExecution) {
      const attempt = at.stepIndex === x.stepIndex ? x.attempt : 0;
      const policy = (await this.#d.retryPolicies?.of(x, at.stepIndex)) ?? config;
      const skipDlq = config.dlqProvider === 'none';
      const decision = decideFailure(policy, { attempt, retryable: false, skipDlq }, nowMs, random);
      const message = `expand step made ${items.length} items, more than capstan.items.max-per-execution (${config.maxItemsPerExecution})`;
      const failure = { stepIndex: at.stepIndex, attempt, code: FailureCode.ITEMS_LIMIT_EXCEEDED, message };
      return this.#fail(x, fence, outputs, { ...failure, retryable: false }, decision, nowMs);
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
    if (!won) return false;
    await this.#logOutputs(x, outputs);
    await this.#d.lifecycle.stepSucceeded(x, at.stepIndex, attemptAt(x, at.stepIndex));
    return true;
  }

  /**
   * Commits a failure as decided: a retry, the DLQ (with its publication) or FAILED, together
   * with the outputs of the steps the segment completed before it.
   */
  async #fail(
    x: ExecutionRecord,
    fence: Fence,
    outputs: readonly StepOutput[],
    failure: FailureToCommit,
    decision: FailureDecision,
    nowMs: number,
  ): Promise<boolean> {
    // A failure that ends the execution is marked for the DLQ's listing and groups.
    const mark =
      decision.kind === 'retry'
        ? undefined
        : await this.#d.fingerprints?.of(x, failure.stepIndex, failure.code, failure.message);
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
            mark,
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
          ...mark,
        },
        decision,
        publication,
        expiresAtMs: nowMs + this.#d.config.executionTtlMs,
      },
      nowMs,
    });
    if (!won) return false;
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
    return true;
  }

  /** The steps a remote segment completed before it stopped, committed with its outcome. */
  async #logOutputs(x: ExecutionRecord, outputs: readonly StepOutput[]): Promise<void> {
    for (const o of outputs) await this.#d.lifecycle.stepSucceeded(x, o.stepIndex, attemptAt(x, o.stepIndex));
  }
}

/** The try a step of this segment is on: the claimed try number for its first step, 0 for the rest. */
export function attemptAt(x: AttemptCount, stepIndex: number): number {
  return stepIndex === x.stepIndex ? stepAttemptOf(x) : 0;
}
