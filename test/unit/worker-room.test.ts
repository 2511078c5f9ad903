import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const root = fileURLToPath(new URL('../../', import.meta.url));
const trace = pathToFileURL(fileURLToPath(new URL('../support/module-trace.mjs', import.meta.url))).href;

/** Every module a fresh process resolves while it imports `specifier`: files under src/, and packages. */
async function modulesLoadedBy(specifier: string, then = ''): Promise<{ src: string[]; packages: string[] }> {
  const script = `import { register } from 'node:module';
register(${JSON.stringify(trace)});
await import(${JSON.stringify(specifier)});
${then}`;
  const { stderr } = await promisify(execFile)(
    process.execPath,
    // The sources, as every run inside the repository resolves the package (docs/packaging.md).
    ['--conditions=capstan-source', '--import', 'tsx', '--input-type=module', '-e', script],
    { cwd: root },
  );
  const urls = [...stderr.matchAll(/^loaded (\S+)$/gm)].map((m) => m[1] ?? '');
  const files = urls.filter((u) => u.startsWith('file:')).map((u) => fileURLToPath(u).slice(root.length));
  const src = [...new Set(files.filter((f) => f.startsWith('src/')))].sort();
  const packages = [
    ...new Set(files.flatMap((f) => /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f)?.[1] ?? [])),
  ].sort();
  return { src, packages };
}

test('capstan/worker loads no coordinator, store, HTTP API or CLI code, nor esbuild, fastify, tar-stream or grpc', async () => {
  const { src, packages } = await modulesLoadedBy('capstan/worker');
  assert.ok(src.includes('src/worker/create-worker.ts'), 'the trace sees the worker itself');
  const outside = src.filter((f) => /^src\/(coordinator|store|http|cli)\//.test(f));
  assert.deepEqual(outside, [], 'the worker room reaches nothing of the coordinator side');
  // The OpenTelemetry SDK and exporter load only when tracing is enabled (docs/tracing.md).
  const otelSdk = [
    '@opentelemetry/sdk-trace-base',
    '@opentelemetry/exporter-trace-otlp-http',
    '@opentelemetry/core',
  ];
  for (const heavy of [
    'esbuild',
    'fastify',
    'tar-stream',
    '@grpc/grpc-js',
    'better-sqlite3',
    'pg',
    ...otelSdk,
  ])
    assert.ok(!packages.includes(heavy), `${heavy} is loaded only by a worker that uses it`);
});

test('the SDK loads nothing of a worker or a coordinator, and no package but zod', async () => {
  const { src, packages } = await modulesLoadedBy('capstan');
  assert.deepEqual(
    src.filter((f) => !/^src\/(sdk|util|errors)\//.test(f)),
    [],
    'the SDK is what a pipeline module imports: nothing of a worker or coordinator',
  );
  assert.deepEqual(
    packages.filter((p) => p !== 'zod'),
    [],
  );
});
