import { failureFingerprint } from '../dlq/failure-fingerprint.ts';
import type { ReleaseCatalog } from '../releases/release-catalog.ts';
import type { PinnedStep } from './step-retry-policies.ts';

/** What a failure that may end in the DLQ is marked with: its fingerprint and step id. */
export interface FailureMark {
  readonly fingerprint: string;
  readonly stepId: string;
}

/**
 * Fingerprints a step's failure (docs/dlq.md#fingerprints). The step id comes from the
 * contract of the pinned release; a release the catalog does not hold (it never should)
 * names the step by its index, `#2`, so the failure is still grouped.
 */
export class FailureFingerprints {
  readonly #catalog: ReleaseCatalog;

  constructor(catalog: ReleaseCatalog) {
    this.#catalog = catalog;
  }

  async of(
    pin: PinnedStep,
    stepIndex: number,
    errorCode: string,
    errorMessage: string,
  ): Promise<FailureMark> {
    const release = await this.#catalog.release(pin.tenantId, pin.pipelineId, pin.releaseVersion);
    const stepId = release?.contract.steps[stepIndex]?.stepId ?? `#${stepIndex}`;
    return {
      stepId,
      fingerprint: failureFingerprint({ pipelineId: pin.pipelineId, stepId, errorCode, errorMessage }),
    };
  }
}
