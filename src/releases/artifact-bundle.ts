import { gzipSync } from 'node:zlib';

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

/**
 * Bundles a pipeline module into one ES module (`pipeline.mjs`) with its npm packages left
 * external. esbuild reprints the code, so reformatting the source does not change the bundle.
 */
export async function bundlePipelineModule(entryFile: string): Promise<Buffer> {
  // Loaded on demand: only release builds need the bundler.
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [entryFile],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    write: false,
    legalComments: 'none',
    sourcemap: false,
    logLevel: 'silent',
  });
  const output = result.outputFiles[0];
  if (!output) throw new Error(`esbuild produced no output for ${entryFile}`);
  return Buffer.from(output.contents);
}
