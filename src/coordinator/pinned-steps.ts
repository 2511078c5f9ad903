import type { ContractStep } from '../releases/pipeline-contract.ts';
import type { ReleaseCatalog } from '../releases/release-catalog.ts';
import type { PinnedStep } from './step-retry-policies.ts';

/**
 * The steps of the release an execution is pinned to, from its contract: what the dispatcher
 * needs to know of a pipeline's shape (where an expand's items end, whether an aggregate
 * follows) without loading its code, which a remote worker may hold alone. Releases are
 * immutable and the catalog caches them, so this costs no read after the first.
 */
export class PinnedSteps {
  readonly #catalog: ReleaseCatalog;

  constructor(catalog: ReleaseCatalog) {
    this.#catalog = catalog;
  }

  async of(pin: PinnedStep): Promise<readonly ContractStep[] | undefined> {
    return (await this.#catalog.release(pin.tenantId, pin.pipelineId, pin.releaseVersion))?.contract.steps;
  }
}
