import type { RetryPolicy } from '../domain/retry-policy.ts';
import { effectiveRetryPolicy } from '../domain/step-retry-policy.ts';
import type { ReleaseCatalog } from '../releases/release-catalog.ts';

/** Where an execution is pinned: the release whose contract holds its steps' retry policies. */
export interface PinnedStep {
  readonly tenantId: string;
  readonly pipelineId: string;
  readonly releaseVersion: string;
}

/**
 * The retry policy of a step of a pinned release: the step's own (from the release's contract,
 * so it holds for remote workers whose code the coordinator never loads) over the global one.
 * Releases are immutable and the catalog caches them, so this costs no read after the first.
 */
export class StepRetryPolicies {
  readonly #catalog: ReleaseCatalog;
  readonly #global: RetryPolicy;

  constructor(catalog: ReleaseCatalog, global: RetryPolicy) {
    this.#catalog = catalog;
    this.#global = global;
  }

  async of(pin: PinnedStep, stepIndex: number): Promise<RetryPolicy> {
    const release = await this.#catalog.release(pin.tenantId, pin.pipelineId, pin.releaseVersion);
    const step = release?.contract.steps[stepIndex];
    return effectiveRetryPolicy(this.#global, step?.kind === 'step' ? step.retry : undefined);
  }
}
