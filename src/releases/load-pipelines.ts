import { statSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isPipeline, type Pipeline } from '../sdk/define-pipeline.ts';
import { importUserModule } from './import-module.ts';

/** A pipeline and the module it was loaded from. */
export interface LocalPipelineSource {
  readonly pipeline: Pipeline;
  /** The module it came from: bundled into the release artifact when known. */
  readonly sourceFile?: string | undefined;
  /** The release's name; default `<contract>.<artifact>` hex (see `buildRelease`). */
  readonly releaseVersion?: string | undefined;
}

/** The module files a `--pipelines` argument names: a file, or every `pipeline.ts` under a folder. */
export function moduleFiles(target: string): string[] {
  const path = resolve(target);
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { recursive: true, encoding: 'utf8' })
    .filter((f) => /(^|\/)pipeline\.(ts|mts|js|mjs)$/.test(f) && !f.includes('node_modules'))
    .sort()
    .map((f) => join(path, f));
}

/** Imports pipeline modules (tsx only for TypeScript ones) and collects every exported pipeline (default or named). */
export async function loadPipelines(targets: readonly string[]): Promise<LocalPipelineSource[]> {
  const found = new Map<string, LocalPipelineSource>();
  for (const target of targets) {
    for (const file of moduleFiles(target)) {
      collectPipelines(found, await importUserModule(file), file);
    }
  }
  if (found.size === 0) throw new Error(`no pipelines exported by ${targets.join(', ')}`);
  return [...found.values()];
}

/** Adds every pipeline a module exports (default or named) to `found`, keyed by id; one id, one definition. */
export function collectPipelines(
  found: Map<string, LocalPipelineSource>,
  module: Record<string, unknown>,
  sourceFile: string,
): void {
  for (const value of Object.values(module)) {
    if (!isPipeline(value)) continue;
    const existing = found.get(value.id);
    if (existing && existing.pipeline !== value)
      throw new Error(`pipeline id '${value.id}' is defined twice`);
    found.set(value.id, { pipeline: value, sourceFile });
  }
}
