/** What a step's code is handed besides its input. */
export interface StepContext {
  readonly tenantId: string;
  readonly executionId: string;
  readonly pipelineId: string;
  readonly stepId: string;
  readonly stepIndex: number;
  /**
   * This try's number: 0 on the first try of the step, one more on each try after it. It keeps
   * counting across re-drives (a re-drive grants a fresh retry budget, not a fresh count), so
   * no two tries of a step share a number.
   */
  readonly attempt: number;
  /**
   * `executionId:stepId`: the same on every try of this step, across retries and re-drives.
   * This is the key to hand to a payment provider or any other side effect that dedupes by key:
   * a try that timed out after the provider acted is retried under the same key, so the
   * provider answers with the first result instead of acting twice.
   */
  readonly idempotencyKey: string;
  /**
   * `executionId:stepId:attempt`: different on every try. For logs, tracing and per-try
   * resources, never for deduplicating a side effect (a retry would act again).
   */
  readonly attemptKey: string;
  /**
   * Aborted when the coordinator lost the lease, the execution was cancelled or the step's
   * timeout passed: a long step should listen and stop, since its result is dropped anyway.
   */
  readonly signal: AbortSignal;
  /** The checkpointed output of an earlier step of this execution (by step id). */
  outputOf(stepId: string): Promise<unknown>;
}
