/**
 * A release artifact carries everything its pipeline imports: `capstan/sdk` (mapped to the SDK of
 * the running Capstan, wherever the pipeline sits) and its npm packages. Unpacked in a folder with
 * no node_modules anywhere above it, it still loads and runs.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test, type TestContext } from 'node:test';
import { pathToFileURL } from 'node:url';
import { bundlePipeline } from '../../src/releases/artifact-bundle.ts';
import { isPipeline } from '../../src/sdk/index.ts';

const ROOT = resolve(import.meta.dirname, '../..');

function tempDir(t: TestContext, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('the bundle resolves capstan/sdk and npm packages itself; only node builtins stay outside', async (t) => {
  // A user's project: zod in its node_modules, the SDK imported by the package name, a local module.
  const project = tempDir(t, 'capstan-project-');
  mkdirSync(join(project, 'node_modules'));
  symlinkSync(join(ROOT, 'node_modules/zod'), join(project, 'node_modules/zod'));
  writeFileSync(
    join(project, 'schemas.ts'),
    "import { z } from 'zod';\nexport const Input = z.object({ n: z.number() });\n",
  );
  const entry = join(project, 'pipeline.ts');
  writeFileSync(
    entry,
    `import { createHash } from 'node:crypto';
import { z } from 'zod';
import { definePipeline, NonRetryableError } from 'capstan/sdk';
import { Input } from './schemas.ts';
export default definePipeline({ id: 'self-contained', input: Input }).step('hash', {
  output: z.object({ hex: z.string() }),
  run: (input) => {
    if (input.n < 0) throw new NonRetryableError('negative');
    return { hex: createHash('sha256').update(String(input.n)).digest('hex') };
  },
});
`,
  );

  const bundle = await bundlePipeline(entry);
  const code = bundle.code.toString();
  assert.doesNotMatch(code, /from ["'](zod|capstan\/sdk)["']/, 'no npm import is left outside');
  assert.match(code, /from ["']node:crypto["']/, 'node builtins stay external');
  assert.deepEqual([...bundle.localInputs].filter((f) => f.startsWith(project)).sort(), [
    entry,
    join(project, 'schemas.ts'),
  ]);

  // Loaded where nothing can be resolved from the file system.
  const elsewhere = tempDir(t, 'capstan-unpacked-');
  const file = join(elsewhere, 'pipeline.mjs');
  writeFileSync(file, bundle.code);
  const loaded = ((await import(pathToFileURL(file).href)) as { default: unknown }).default;
  assert.ok(isPipeline(loaded));
  const step = loaded.steps[0];
  assert.equal(step?.kind, 'step');
  const output = (await step.run({ n: 1 }, undefined as never)) as { hex: string };
  assert.equal(output.hex.length, 64);
});
