import type { RedriveRelease, RedriveTarget } from '../domain/redrive-target.ts';
import { CapstanError } from '../errors/catalog.ts';
import type { ReleaseCatalog } from '../releases/release-catalog.ts';
import type { ExecutionRecord } from '../store/records.ts';
import type { RedriveOutcome, Store } from '../store/store-port.ts';

/**
 * The coordinator's side of a re-drive (docs/dlq.md#re-drive-targets): the release it moves the
 * execution to, and the errors its refusals answer.
 */

/**
 * The release a re-drive moves the execution to (docs/dlq.md#re-drive-targets): undefined for
 * `pinned`, else the active or named release of its pipeline, which must exist (409
 * `no_active_release`, 404 `release_not_found`) and have the execution's contract version (409
 * `release_incompatible`). The store checks the contract again in the re-drive's transaction.
 */
export async function redriveRelease(
  d: { store: Store; catalog: ReleaseCatalog },
  execution: ExecutionRecord,
  target: RedriveTarget,
): Promise<RedriveRelease | undefined> {
  if (target === 'pinned') return undefined;
  const { tenantId, pipelineId } = execution;
  const release =
    target === 'active'
      ? await d.store.getActiveRelease(tenantId, pipelineId)
      : await d.catalog.release(tenantId, pipelineId, target.releaseVersion);
  if (!release)
    throw target === 'active'
      ? new CapstanError('no_active_release')
      : new CapstanError(
          'release_not_found',
          `Pipeline ${pipelineId} has no release ${target.releaseVersion} in this tenant.`,
        );
  if (release.contractVersion !== execution.contractVersion) throw incompatible(execution, release);
  return { releaseVersion: release.releaseVersion, contractVersion: release.contractVersion };
}

export function incompatible(execution: ExecutionRecord, release: RedriveRelease): CapstanError {
  return new CapstanError(
    'release_incompatible',
    `Release ${release.releaseVersion} has contract ${release.contractVersion}; execution ${execution.executionId} runs contract ${execution.contractVersion}.`,
    {
      releaseVersion: release.releaseVersion,
      contractVersion: release.contractVersion,
      executionContractVersion: execution.contractVersion,
    },
  );
}

/** Why the store did not re-drive, as the API's error. */
export function redriveRefused(
  outcome: Exclude<RedriveOutcome, { kind: 'redriven' }>,
  expectedVersion: number | undefined,
  toRelease: RedriveRelease | undefined,
): CapstanError {
  switch (outcome.kind) {
    case 'contract_mismatch':
      return incompatible(outcome.execution, toRelease ?? outcome.execution);
    case 'wrong_status':
      return new CapstanError(
        'execution_state_conflict',
        `Only DLQ executions (or FAILED with allowFailed=true) can be re-driven; this one is ${outcome.execution.status}.`,
      );
    case 'wrong_version':
      return new CapstanError(
        'execution_version_conflict',
        `Expected version ${String(expectedVersion)}, but the execution is at version ${outcome.execution.version}.`,
      );
    case 'item_already_aggregated':
      return new CapstanError(
        'item_already_aggregated',
        `Execution ${outcome.execution.executionId} is an item of ${outcome.execution.parentExecutionId ?? 'a parent'}, whose aggregate step has been released with this item's outcome.`,
      );
    case 'not_found':
      return new CapstanError('execution_not_found');
  }
}
