import { pathToFileURL } from 'node:url';

/** Extensions Node cannot import on its own: a TypeScript loader (tsx) is registered for them. */
const TYPESCRIPT = /\.(ts|mts|cts)$/;

/**
 * Already inside a TypeScript loader when this very module is TypeScript (a clone of the
 * repository, the tests): a second registration would transform every module twice.
 */
const underLoader = import.meta.url.endsWith('.ts');

let registered: Promise<void> | undefined;

async function registerTypeScript(): Promise<void> {
  // Loaded on demand: an installed CLI serving plain JavaScript pipelines never loads tsx.
  const { register } = await import('tsx/esm/api');
  register();
}

/**
 * Imports a user's module (a pipeline file, a release's bundle). Plain JavaScript loads as it
 * is; a `.ts`/`.mts`/`.cts` file first registers tsx, once per process.
 */
export async function importUserModule(file: string): Promise<Record<string, unknown>> {
  if (TYPESCRIPT.test(file) && !underLoader) await (registered ??= registerTypeScript());
  return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
}
