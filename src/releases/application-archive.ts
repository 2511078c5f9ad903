import { CapstanError } from '../errors/catalog.ts';
import { contractIsIntact, type PipelineContract } from './pipeline-contract.ts';
import { pipelineShapeProblem } from '../sdk/define-pipeline.ts';
import { DEFAULT_ARCHIVE_LIMITS, type ArchiveLimits } from './archive-limits.ts';
import { readTgz } from './read-tgz.ts';
import { nestsDeeperThan } from '../util/json-nesting.ts';

/** The bundled pipeline module of an artifact `buildRelease` wrote with its source file. */
export const PIPELINE_MODULE = 'pipeline.mjs';

/** What an `application-archive` artifact holds: its files, and the contract at its root if any. */
export interface ApplicationArchive {
  readonly files: ReadonlyMap<string, Buffer>;
  readonly contract: PipelineContract | undefined;
}

/**
 * Far deeper than any JSON Schema zod writes; a contract deeper than this would overflow the
 * stack of the schema compiler and of `JSON.stringify` when it is stored.
 */
const MAX_CONTRACT_DEPTH = 256;

const invalid = (message: string) => new CapstanError('release_invalid', message);

/**
 * Opens an `application-archive` (a `.tgz`), as the coordinator does when a release is registered
 * and a worker does when it hosts a registered artifact: one reading, so both agree on what the
 * artifact says. A `pipeline-contract.json` must hash to its own `contractVersion`.
 */
export async function readApplicationArchive(
  bytes: Buffer,
  artifactId: string,
  limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS,
): Promise<ApplicationArchive> {
  const files = await readTgz(bytes, limits).catch((error: unknown) => {
    if (error instanceof CapstanError && error.code === 'release_archive_too_large') throw error;
    throw invalid(`Artifact ${artifactId} is not a gzip-compressed tar archive.`);
  });
  const text = files.get('pipeline-contract.json');
  if (!text) return { files, contract: undefined };
  let contract: unknown;
  try {
    contract = JSON.parse(text.toString('utf8'));
  } catch {
    throw invalid(`pipeline-contract.json in ${artifactId} is not valid JSON.`);
  }
  if (nestsDeeperThan(contract, MAX_CONTRACT_DEPTH))
    throw invalid(`pipeline-contract.json in ${artifactId} nests deeper than ${MAX_CONTRACT_DEPTH} levels.`);
  if (
    typeof contract !== 'object' ||
    contract === null ||
    !contractIsIntact(contract as Record<string, unknown>)
  ) {
    throw invalid(`pipeline-contract.json in ${artifactId} does not hash to its contractVersion.`);
  }
  checkContractShape(contract, artifactId);
  return { files, contract: contract as PipelineContract };
}

const STEP_KINDS = new Set(['step', 'await', 'expand', 'aggregate']);

/**
 * A contract's steps must be of kinds this coordinator runs (a newer kind is refused, never
 * misread) and in a shape it runs (docs/items.md: no expand inside an item continuation).
 */
function checkContractShape(contract: { steps?: unknown }, artifactId: string): void {
  const steps = contract.steps;
  if (!Array.isArray(steps)) throw invalid(`pipeline-contract.json in ${artifactId} has no steps.`);
  for (const step of steps as { kind?: unknown }[]) {
    if (typeof step !== 'object' || step === null || !STEP_KINDS.has(String(step.kind)))
      throw invalid(
        `pipeline-contract.json in ${artifactId} has a step of unknown kind '${String(step?.kind)}'.`,
      );
  }
  const problem = pipelineShapeProblem(steps as { kind: string; stepId?: string }[], { complete: true });
  if (problem)
    throw new CapstanError('pipeline_shape_invalid', `pipeline-contract.json in ${artifactId}: ${problem}`);
}
