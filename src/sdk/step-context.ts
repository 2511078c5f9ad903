/** What a step's code is handed besides its input. */
export interface StepContext {
  readonly tenantId: string;
  readonly executionId: string;
  readonly pipelineId: string;
  readonly stepId: string;
  readonly stepIndex: number;
  /** Failed tries of this step so far: 0 on the first try. */
  readonly attempt: number;
  /**
   * `executionId:stepIndex:attempt`. Stable for one attempt of one step: hand it to payment
   * providers and other side effects so a step that runs twice (at-least-once) acts once.
   */
  readonly idempotencyKey: string;
  /**
   * Aborted when the coordinator lost the lease, the execution was cancelled or the step's
   * timeout passed: a long step should listen and stop, since its result is dropped anyway.
   */
  readonly signal: AbortSignal;
  /** The checkpointed output of an earlier step of this execution (by step id). */
  outputOf(stepId: string): Promise<unknown>;
}
