import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadPipelines } from '../releases/load-pipelines.ts';
import { CapstanError } from '../errors/catalog.ts';
import { readApplicationArchive, PIPELINE_MODULE } from '../releases/application-archive.ts';
import { hexOf, type ArtifactStore } from '../releases/artifact-store.ts';
import { defaultReleaseVersion } from '../releases/build-release.ts';
import { buildContract } from '../releases/pipeline-contract.ts';
import type { WorkerRelease } from './hosted-releases.ts';

/** A registered artifact to host, and what the coordinator says it is (when it was asked). */
export interface ArtifactToHost {
  /** `sha256:<hex>`: the artifact's name in the store, and what its bytes must hash to. */
  readonly digest: string;
  readonly artifactId?: string | undefined;
  /** Unset: the default `<contract 12 hex>.<artifact 12 hex>`, as an unnamed build is called. */
  readonly releaseVersion?: string | undefined;
  /** When given, the artifact's contract must say the same. */
  readonly pipelineId?: string | undefined;
  readonly contractVersion?: string | undefined;
}

/**
 * Where fetched artifacts are unpacked unless told otherwise: under the working directory's
 * `node_modules/.cache`. The bundled module is self-contained (it resolves nothing but node
 * builtins), so any folder would do; this one is where caches of an app are looked for.
 */
export const defaultUnpackDir = (): string =>
  join(process.cwd(), 'node_modules', '.cache', 'capstan-releases');

const refuse = (digest: string, why: string) =>
  new CapstanError('artifact_verification_failed', `Artifact ${digest} ${why}.`);
const invalid = (digest: string, why: string) =>
  new CapstanError('release_invalid', `Artifact ${digest} ${why}.`);

/**
 * Fetches a registered artifact from the artifact store and makes it a release this worker can
 * host. The store re-hashes what it returns, so altered bytes are refused
 * (`artifact_verification_failed`), as is an artifact the store does not hold. The archive is read
 * as the coordinator read it at registration; its `pipeline.mjs` is loaded as `--pipelines`
 * loads a module; and the loaded code must still produce the artifact's contract, so a worker
 * never hosts code under a contract it does not implement.
 */
export async function releaseFromArtifact(
  artifacts: ArtifactStore,
  wanted: ArtifactToHost,
  options: { unpackDir?: string } = {},
): Promise<WorkerRelease> {
  const { digest } = wanted;
  const hex = hexOf(digest);
  const bytes = await artifacts.get(digest);
  if (!bytes) throw refuse(digest, `is missing from the artifact store (${describe(artifacts)})`);
  const { files, contract } = await readApplicationArchive(bytes, wanted.artifactId ?? digest);
  if (!contract) throw invalid(digest, 'carries no pipeline-contract.json');
  if (wanted.pipelineId !== undefined && contract.pipelineId !== wanted.pipelineId)
    throw invalid(digest, `is pipeline '${contract.pipelineId}', not '${wanted.pipelineId}'`);
  if (wanted.contractVersion !== undefined && contract.contractVersion !== wanted.contractVersion)
    throw invalid(digest, `has contract ${contract.contractVersion}, not ${wanted.contractVersion}`);
  const code = files.get(PIPELINE_MODULE);
  if (!code) throw invalid(digest, `holds no ${PIPELINE_MODULE} (built without its source module)`);

  // Content-addressed, written whole then renamed: a concurrent start never reads half a file.
  const dir = join(options.unpackDir ?? defaultUnpackDir(), hex);
  await mkdir(dir, { recursive: true });
  const file = join(dir, PIPELINE_MODULE);
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, code);
  await rename(temp, file);
  const loaded = await loadPipelines([file]).catch((error: unknown) => {
    throw invalid(digest, `cannot be loaded: ${error instanceof Error ? error.message : String(error)}`);
  });
  const pipeline = loaded.find((p) => p.pipeline.id === contract.pipelineId)?.pipeline;
  if (!pipeline) throw invalid(digest, `exports no pipeline '${contract.pipelineId}'`);
  const actual = buildContract(pipeline).contractVersion;
  if (actual !== contract.contractVersion)
    throw invalid(
      digest,
      `holds code whose contract is ${actual}, not its pipeline-contract.json's ${contract.contractVersion} (another zod here?)`,
    );
  return {
    pipeline,
    pipelineId: contract.pipelineId,
    contractVersion: contract.contractVersion,
    releaseVersion: wanted.releaseVersion ?? defaultReleaseVersion(contract.contractHash, hex),
    artifactId: wanted.artifactId ?? null,
    artifactDigest: digest,
  };
}

/** The store as its startup log names it (kind and place, never a secret). */
function describe(artifacts: ArtifactStore): string {
  return Object.entries(artifacts.description)
    .map(([key, value]) => `${key}=${value}`)
    .join(' ');
}
