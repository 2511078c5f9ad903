import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { Plugin } from 'esbuild';
import { runningSdkEntry } from './sdk-entry.ts';

export interface BundleFile {
  readonly name: string;
  readonly content: Buffer;
}

/**
 * A deterministic `.tgz`: entries sorted by name, mtime 0, fixed owner and mode, gzip with
 * a zero mtime. The same files give the same bytes, hence the same digest.
 */
export async function deterministicTgz(files: readonly BundleFile[]): Promise<Buffer> {
  // Loaded when an archive is built, not when a worker or the SDK is imported.
  const { pack } = await import('tar-stream');
  const archive = pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const chunk of archive) chunks.push(chunk as Buffer);
  })();
  for (const file of [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    await new Promise<void>((resolve, reject) => {
      archive.entry(
        {
          name: file.name,
          size: file.content.length,
          mtime: new Date(0),
          mode: 0o644,
          uid: 0,
          gid: 0,
          uname: '',
          gname: '',
        },
        file.content,
        (error) => (error ? reject(error) : resolve()),
      );
    });
  }
  archive.finalize();
  await collected;
  return gzipSync(Buffer.concat(chunks), { level: 9 });
}

/** A bundled pipeline module and the local source files it was built from. */
export interface PipelineBundle {
  readonly code: Buffer;
  /** Absolute paths of the files outside `node_modules` that went into it (what a watcher watches). */
  readonly localInputs: readonly string[];
}

/**
 * Loads `capstan` and `capstan/sdk` from the running Capstan installation, wherever the pipeline
 * sits: a user's project may not resolve the package from the bundle's working directory, and
 * the clone exports TypeScript sources that esbuild then compiles in.
 */
const capstanSdk = (sdkEntry: string): Plugin => ({
  name: 'capstan-sdk',
  setup(build) {
    build.onResolve({ filter: /^capstan(\/sdk)?$/ }, () => ({ path: sdkEntry }));
  },
});

/** `import … from 'file:///…'` is valid ESM that esbuild does not resolve by itself. */
const fileUrls: Plugin = {
  name: 'file-urls',
  setup(build) {
    build.onResolve({ filter: /^file:\/\// }, (args) => ({ path: fileURLToPath(args.path) }));
  },
};

/**
 * ESM has no `require`: bundled CommonJS packages that require a node builtin get one, made for
 * the bundle's own location.
 */
const REQUIRE_SHIM =
  "import { createRequire as __capstanCreateRequire } from 'node:module';\n" +
  'const require = __capstanCreateRequire(import.meta.url);';

/**
 * Bundles a pipeline module into one self-contained ES module (`pipeline.mjs`): the SDK and every
 * npm package it imports are in it, only node builtins stay outside, so the artifact runs on any
 * coordinator or worker, from any folder, without the project's `node_modules`. esbuild reprints
 * the code, so reformatting the source does not change the bundle.
 */
export async function bundlePipeline(entryFile: string): Promise<PipelineBundle> {
  // Loaded on demand: only release builds need the bundler.
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [entryFile],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    metafile: true,
    banner: { js: REQUIRE_SHIM },
    plugins: [capstanSdk(runningSdkEntry()), fileUrls],
    legalComments: 'none',
    sourcemap: false,
    logLevel: 'silent',
  });
  const output = result.outputFiles[0];
  if (!output) throw new Error(`esbuild produced no output for ${entryFile}`);
  const cwd = process.cwd();
  const localInputs = Object.keys(result.metafile.inputs)
    .filter((input) => !input.includes('node_modules') && !input.includes(':'))
    .map((input) => resolve(cwd, input));
  return { code: Buffer.from(output.contents), localInputs };
}

/** The bundled module alone (see `bundlePipeline`). */
export async function bundlePipelineModule(entryFile: string): Promise<Buffer> {
  return (await bundlePipeline(entryFile)).code;
}
