import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { deterministicTgz, type BundleFile } from '../releases/artifact-bundle.ts';
import { CliError, localCodes } from '../errors/cli-error.ts';

const DESCRIPTOR = 'pipeline-release.json';

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

async function regularFiles(root: string, dir: string, into: BundleFile[]): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await regularFiles(root, path, into);
    // Links and devices are left out, never followed.
    else if (entry.isFile())
      into.push({ name: relative(root, path).split(sep).join('/'), content: await readFile(path) });
  }
}

/**
 * The `.tgz` of a release folder as `capstan release build` writes it (pipeline-release.json,
 * pipeline-contract.json, the artifact). `dir` may also be the build's `--out` folder, holding
 * one sub-folder per pipeline: then `dir/<pipelineId>` is used.
 */
export async function packReleaseFolder(
  dir: string,
  pipelineId: string,
): Promise<{ folder: string; tgz: Buffer }> {
  const candidates = [resolve(dir), resolve(dir, pipelineId)];
  let folder: string | undefined;
  for (const candidate of candidates)
    if (!folder && (await exists(join(candidate, DESCRIPTOR)))) folder = candidate;
  if (!folder)
    throw new CliError(
      localCodes.invalidArgument,
      `no ${DESCRIPTOR} in ${candidates.join(' or ')} (build one with \`capstan release build\`)`,
    );
  const files: BundleFile[] = [];
  await regularFiles(folder, folder, files);
  return { folder, tgz: await deterministicTgz(files) };
}
