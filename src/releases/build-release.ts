import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Pipeline } from '../sdk/define-pipeline.ts';
import { canonicalJson, sha256Hex } from '../util/canonical-json.ts';
import { bundlePipelineModule, deterministicTgz, type BundleFile } from './artifact-bundle.ts';
import { buildContract, contractFileText, type PipelineContract } from './pipeline-contract.ts';
import type { ReleaseDescriptor } from './release-descriptor.ts';

export interface BuiltRelease {
  readonly contract: PipelineContract;
  readonly descriptor: ReleaseDescriptor;
  readonly artifact: Buffer;
  readonly artifactFileName: string;
}

/**
 * Builds a pipeline's release: its contract, a deterministic artifact (`pipeline-contract.json`
 * at the root, plus the bundled module when the source file is known) and the descriptor that
 * pins the artifact by digest. `releaseVersion` defaults to `<contract 12 hex>.<artifact 12 hex>`,
 * so a code-only change is a new release rather than a conflicting one.
 */
export async function buildRelease(
  pipeline: Pipeline,
  options: { sourceFile?: string | undefined; releaseVersion?: string | undefined } = {},
): Promise<BuiltRelease> {
  const contract = buildContract(pipeline);
  const files: BundleFile[] = [
    { name: 'pipeline-contract.json', content: Buffer.from(contractFileText(contract)) },
  ];
  if (options.sourceFile)
    files.push({ name: 'pipeline.mjs', content: await bundlePipelineModule(options.sourceFile) });
  const artifact = await deterministicTgz(files);
  const artifactHex = sha256Hex(artifact);
  const artifactFileName = `${pipeline.id}.tgz`;
  const descriptor: ReleaseDescriptor = {
    schemaVersion: 1,
    pipelineId: pipeline.id,
    contractVersion: contract.contractVersion,
    releaseVersion: options.releaseVersion ?? defaultReleaseVersion(contract.contractHash, artifactHex),
    artifacts: [
      {
        artifactId: `${pipeline.id}-bundle`,
        kind: 'application-archive',
        uri: artifactFileName,
        digest: `sha256:${artifactHex}`,
        stepIds: pipeline.steps.map((s) => s.id),
        capabilities: ['local-transition-execution'],
      },
    ],
  };
  return { contract, descriptor, artifact, artifactFileName };
}

/**
 * `<first 12 hex of the contract>.<first 12 hex of the artifact digest>`: what a release is called
 * unless its builder named it, so whoever holds the artifact can tell its default name.
 */
export function defaultReleaseVersion(contractHash: string, artifactHex: string): string {
  return `${contractHash.slice(0, 12)}.${artifactHex.slice(0, 12)}`;
}

/** The descriptor's file bytes: canonical, indented for people, identical across builds. */
export function descriptorFileText(descriptor: ReleaseDescriptor): string {
  return `${JSON.stringify(JSON.parse(canonicalJson(descriptor)), null, 2)}\n`;
}

/** Writes `pipeline-contract.json`, the artifact and `pipeline-release.json` into `outDir`. */
export async function writeRelease(built: BuiltRelease, outDir: string): Promise<{ descriptorPath: string }> {
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, 'pipeline-contract.json'), contractFileText(built.contract));
  await writeFile(join(outDir, built.artifactFileName), built.artifact);
  const descriptorPath = join(outDir, 'pipeline-release.json');
  await writeFile(descriptorPath, descriptorFileText(built.descriptor));
  return { descriptorPath };
}
