import type { FailureDecision } from '../domain/retry-policy.ts';
import type { Logger } from '../runtime/logger.ts';
import type { FailureFact } from '../metrics/engine-metrics.ts';

/** The execution a line is about: what names it, its pipeline and the release it is pinned to. */
export interface ExecutionAt {
  readonly tenantId: string;
  readonly executionId: string;
  readonly pipelineId: string;
  readonly releaseVersion: string;
}

/** The step id at an index of the execution's pinned release; undefined when it cannot be read. */
export type StepIdOf = (at: ExecutionAt, stepIndex: number) => Promise<string | undefined>;

/** What a failure that was just recorded was. */
export interface RecordedFailure {
  readonly stepIndex: number;
  /** The try that failed (0 for the first). */
  readonly attempt: number;
  readonly errorCode: string;
  readonly errorMessage: string;
}

/** Why the step's try ended: its own failure, a lease nobody renewed, an await's deadline. */
export type FailureCause = 'step failed' | 'lease expired' | 'await timed out';

/**
 * The lines an operator follows an execution by: one per fact, logged by the node that made it
 * durable, right after the store committed it (a command that lost its guard logs nothing). All
 * carry `event`, `executionId`, `pipelineId` and `releaseVersion`, and step lines `stepIndex`,
 * `stepId` and `attempt`, so `grep <executionId>` or a query on `event` tells the story.
 * Milestones are info; each step's success is debug, as there is one per step.
 */
export class LifecycleLog {
  readonly #logger: Logger;
  readonly #stepIdOf: StepIdOf;
  readonly #onFailure: ((failure: FailureFact) => void) | undefined;

  /** `onFailure` hears every failure logged here (the metrics count them by fingerprint). */
  constructor(logger: Logger, stepIdOf: StepIdOf, onFailure?: (failure: FailureFact) => void) {
    this.#logger = logger;
    this.#stepIdOf = stepIdOf;
    this.#onFailure = onFailure;
  }

  submitted(x: ExecutionAt): void {
    this.#logger.info(fields('execution.submitted', x), 'execution submitted');
  }

  async stepSucceeded(x: ExecutionAt, stepIndex: number, attempt: number): Promise<void> {
    // One per step on the hot path: skip the step-id lookup when debug lines are not written.
    if (this.#logger.isLevelEnabled?.('debug') === false) return;
    this.#logger.debug(
      { ...fields('step.succeeded', x), ...(await this.#step(x, stepIndex)), attempt },
      'step succeeded',
    );
  }

  executionSucceeded(x: ExecutionAt): void {
    this.#logger.debug(fields('execution.succeeded', x), 'execution succeeded');
  }

  /** A failure recorded with its decision: a retry scheduled, the DLQ, or FAILED. */
  async failed(
    x: ExecutionAt,
    failure: RecordedFailure,
    decision: FailureDecision,
    nowMs: number,
    cause: FailureCause = 'step failed',
  ): Promise<void> {
    const base = {
      ...fields(eventOf(decision), x),
      ...(await this.#step(x, failure.stepIndex)),
      attempt: failure.attempt,
      errorCode: failure.errorCode,
      errorMessage: failure.errorMessage,
    };
    this.#onFailure?.({
      tenantId: x.tenantId,
      pipelineId: x.pipelineId,
      stepId: base.stepId,
      errorCode: failure.errorCode,
      decision: decision.kind,
      reason: decision.kind === 'retry' ? undefined : decision.reason,
    });
    switch (decision.kind) {
      case 'retry': {
        const delayMs = Math.max(0, decision.dueAtMs - nowMs);
        this.#logger.info(
          {
            ...base,
            delayMs,
            // Try numbers, as the step sees them in `ctx.attempt` (they keep counting across
            // re-drives), rather than the retry budget the decision counts in.
            nextAttempt: failure.attempt + 1,
            nextAttemptAt: new Date(decision.dueAtMs).toISOString(),
          },
          `${cause}; retry ${failure.attempt + 1} scheduled in ${delayMs} ms`,
        );
        return;
      }
      case 'dlq':
        this.#logger.info({ ...base, reason: decision.reason }, `${cause}; execution moved to the DLQ`);
        return;
      case 'failed':
        this.#logger.info({ ...base, reason: decision.reason }, `${cause}; execution FAILED`);
        return;
    }
  }

  parked(
    x: ExecutionAt,
    stepIndex: number,
    interaction: { interactionId: string; stepId: string; deadlineAtMs: number },
  ): void {
    this.#logger.info(
      {
        ...fields('interaction.parked', x),
        stepIndex,
        stepId: interaction.stepId,
        interactionId: interaction.interactionId,
        deadlineAt: new Date(interaction.deadlineAtMs).toISOString(),
      },
      'execution parked on an interaction',
    );
  }

  interactionCompleted(
    x: ExecutionAt,
    interaction: { interactionId: string; stepId: string; stepIndex: number; actor: string | null },
  ): void {
    this.#logger.info(
      {
        ...fields('interaction.completed', x),
        stepIndex: interaction.stepIndex,
        stepId: interaction.stepId,
        interactionId: interaction.interactionId,
        ...(interaction.actor ? { actor: interaction.actor } : {}),
      },
      'interaction completed',
    );
  }

  /** `releaseVersion` is the release it runs on now; `fromRelease` the one it was pinned to. */
  async redriven(
    x: ExecutionAt & { stepIndex: number },
    previousStatus: string,
    reason: string,
    fromRelease: string = x.releaseVersion,
  ): Promise<void> {
    this.#logger.info(
      {
        ...fields('execution.redriven', x),
        ...(await this.#step(x, x.stepIndex)),
        previousStatus,
        reason,
        fromRelease,
      },
      `execution re-driven from ${previousStatus}`,
    );
  }

  async cancelled(x: ExecutionAt & { stepIndex: number }, reason: string): Promise<void> {
    this.#logger.info(
      { ...fields('execution.cancelled', x), ...(await this.#step(x, x.stepIndex)), reason },
      'execution cancelled',
    );
  }

  /** The step's index and id; a release that cannot be read leaves the id out, not the line. */
  async #step(x: ExecutionAt, stepIndex: number): Promise<{ stepIndex: number; stepId?: string }> {
    const stepId = await this.#stepIdOf(x, stepIndex).catch(() => undefined);
    return stepId === undefined ? { stepIndex } : { stepIndex, stepId };
  }
}

function fields(event: string, x: ExecutionAt) {
  return {
    event,
    tenantId: x.tenantId,
    executionId: x.executionId,
    pipelineId: x.pipelineId,
    releaseVersion: x.releaseVersion,
  };
}

function eventOf(decision: FailureDecision): string {
  switch (decision.kind) {
    case 'retry':
      return 'step.retry_scheduled';
    case 'dlq':
      return 'execution.moved_to_dlq';
    case 'failed':
      return 'execution.failed';
  }
}
