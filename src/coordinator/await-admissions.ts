import type { ReleaseCatalog } from '../releases/release-catalog.ts';
import type { PinnedStep } from './step-retry-policies.ts';

/**
 * The coordinator's await admission settings (docs/await-admission.md): budgets by
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

/**
 * The admission budget of an await step of a pinned release: the configured one for the step
 * wins, then the step's own (`await(…, { admission })`, from the release's contract, so it holds
 * for remote workers too), then the configured default; undefined when there is none.
 */
export class AwaitAdmissions {
  readonly #catalog: ReleaseCatalog;
  readonly #config: AwaitAdmissionConfig;

  constructor(catalog: ReleaseCatalog, config: AwaitAdmissionConfig) {
    this.#catalog = catalog;
    this.#config = config;
  }

  async limitOf(pin: PinnedStep, stepIndex: number): Promise<number | undefined> {
    const release = await this.#catalog.release(pin.tenantId, pin.pipelineId, pin.releaseVersion);
    const step = release?.contract.steps[stepIndex];
    if (!step) return this.#config.defaultBudget;
    return (
      this.#config.budgets.get(budgetKey(pin.pipelineId, step.stepId)) ??
      step.await?.admission ??
      this.#config.defaultBudget
    );
  }
}
