/**
 * The await admission budgets configuration sets (docs/await-admission.md): budgets by
 * `<pipeline>/<step>` (`capstan.awaits.admission`), and the budget of every other await step
 * (TPF's `pipeline.await-admission.enabled` with `pipeline.max-concurrency`), if any.
 */
export interface AwaitAdmissionConfig {
  readonly budgets: ReadonlyMap<string, number>;
  readonly defaultBudget: number | undefined;
}

export const NO_ADMISSION_BUDGETS: AwaitAdmissionConfig = { budgets: new Map(), defaultBudget: undefined };

/** The key of a step in `AwaitAdmissionConfig.budgets`. */
export const budgetKey = (pipelineId: string, stepId: string): string => `${pipelineId}/${stepId}`;
