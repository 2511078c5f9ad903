import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { sha256Hex } from '../util/canonical-json.ts';
import { bundlePipeline } from './artifact-bundle.ts';
import { collectPipelines, type LocalPipelineSource } from './load-pipelines.ts';

/** Pipelines loaded from the files as they are now, and every local file they were built from. */
export interface FreshPipelines {
  readonly sources: LocalPipelineSource[];
  readonly inputs: ReadonlySet<string>;
}

/**
 * Loads pipeline modules as they are on disk now, however often they were loaded before: each one
 * is bundled (as its release artifact will be) into a file named by its content, then imported.
 * A plain `import()` of the source would return the module cached at the first load, and miss
 * changes in the local modules it imports. `dir` collects the bundles.
 */
export async function loadFreshPipelines(files: readonly string[], dir: string): Promise<FreshPipelines> {
  await mkdir(dir, { recursive: true });
  const found = new Map<string, LocalPipelineSource>();
  const inputs = new Set<string>();
  for (const file of files) {
    const bundle = await bundlePipeline(file);
    for (const input of bundle.localInputs) inputs.add(input);
    const path = join(dir, `${sha256Hex(bundle.code).slice(0, 24)}.mjs`);
    await writeFile(path, bundle.code);
    collectPipelines(found, (await import(pathToFileURL(path).href)) as Record<string, unknown>, file);
  }
  if (found.size === 0) throw new Error(`no pipelines exported by ${files.join(', ')}`);
  return { sources: [...found.values()], inputs };
}
