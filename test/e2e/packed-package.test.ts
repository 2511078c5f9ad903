/**
 * The package as users get it: `npm pack`, installed into a fresh project of its own, pipelines
 * written there in plain JavaScript and in TypeScript that import `capstan/sdk`, served with
 * `npx capstan serve` and run to the end. Runs on whatever Node runs the tests (the CI lanes).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { apiClient, OPERATOR_TOKEN, ADMIN_TOKEN } from '../support/coordinator-process.ts';
import { spawnProcess } from '../support/spawned-process.ts';
import { distIsStale } from '../../scripts/dist-freshness.mjs';

const ROOT = resolve(import.meta.dirname, '../..');
const execFileAsync = promisify(execFile);

/**
 * npm, npx and the installed bin run on the Node that runs this test, not another on PATH; under
 * `npm test`, what npm tells its scripts about this repository (its prefix, its package) stays
 * behind, as does the command of an `npm exec -c`; npm_config_nodedir (scripts/test-on-node.sh)
 * goes through.
 */
const env: NodeJS.ProcessEnv = {
  ...Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) =>
        !/^(PIPELINE_|CAPSTAN_|npm_package_|npm_lifecycle_|npm_config_local_prefix|npm_config_call)/i.test(
          name,
        ),
    ),
  ),
  PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`,
  // Outside the repository: no source condition inherited from the test runner.
  NODE_OPTIONS: '',
};

/** A step that hangs (npm waiting on a stuck fetch or lock) fails in minutes, not at the file's deadline. */
const STEP_TIMEOUT_MS = 5 * 60_000;

const run = async (command: string, args: readonly string[], cwd: string) => {
  const { stdout, stderr } = await execFileAsync(command, args, {
    cwd,
    env,
    maxBuffer: 32 * 1024 * 1024,
    timeout: STEP_TIMEOUT_MS,
    killSignal: 'SIGKILL',
  });
  return { stdout, stderr };
};

const JS_PIPELINE = `import { z } from 'zod';
import { definePipeline } from 'capstan/sdk';

export default definePipeline({ id: 'js-greeting', input: z.object({ name: z.string() }) })
  .step('greet', { output: z.object({ greeting: z.string() }), run: ({ name }) => ({ greeting: 'hello ' + name }) })
  .step('shout', { output: z.object({ shout: z.string() }), run: ({ greeting }) => ({ shout: greeting.toUpperCase() }) });
`;

const TS_PIPELINE = `import { z } from 'zod';
import { definePipeline, type StepContext } from 'capstan/sdk';

interface Total {
  readonly cents: number;
  readonly attempt: number;
}
const total = (items: readonly number[], ctx: StepContext): Total => ({
  cents: items.reduce((a, b) => a + b, 0),
  attempt: ctx.attempt,
});

export const invoice = definePipeline({ id: 'ts-invoice', input: z.object({ items: z.array(z.number().int()) }) })
  .step('sum', { output: z.object({ cents: z.number(), attempt: z.number() }), run: ({ items }, ctx) => total(items, ctx) });

// @ts-expect-error the step's input is typed from the pipeline's input: it has no field 'b'
definePipeline({ id: 'x', input: z.object({ a: z.string() }) }).step('s', { output: z.string(), run: ({ b }) => b });
`;

/** Every entry point's declarations, as a project embedding the coordinator or a worker reads them. */
const ENTRY_POINTS = `import type * as sdk from 'capstan/sdk';
import type * as root from 'capstan';
import type * as coordinator from 'capstan/coordinator';
import type * as worker from 'capstan/worker';
import type * as client from 'capstan/client';
export type EntryPoints = [typeof sdk, typeof root, typeof coordinator, typeof worker, typeof client];
`;

const TSCONFIG = {
  compilerOptions: {
    module: 'nodenext',
    moduleResolution: 'nodenext',
    target: 'es2022',
    strict: true,
    noEmit: true,
    // The package's own declarations are checked too: every import in them must resolve.
    skipLibCheck: false,
    types: [],
  },
  include: ['pipelines'],
};

test('the packed package installs into a fresh project and serves JavaScript and TypeScript pipelines that import capstan/sdk', async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'capstan-packed-'));
  t.after(() => rmSync(work, { recursive: true, force: true }));

  // The tarball holds dist/ as `prepare` builds it for a publish. Packing without scripts keeps
  // the build from replacing dist/ under the other tests' running processes; a dist/ older than
  // the sources (this file run on its own) is built first.
  if (distIsStale(ROOT)) await run(process.execPath, ['scripts/build.mjs'], ROOT);
  await run('npm', ['pack', '--ignore-scripts', '--pack-destination', work, '--loglevel=error'], ROOT);
  const [tarball] = readdirSync(work).filter((name) => name.endsWith('.tgz'));
  assert.ok(tarball, 'npm pack wrote a tarball');

  const project = join(work, 'project');
  mkdirSync(join(project, 'pipelines'), { recursive: true });
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'my-pipelines', version: '1.0.0', private: true, type: 'module' }, null, 2),
  );
  // The machine's npm cache serves the dependencies; typescript checks the TypeScript pipeline.
  // From Node 24 the store runs on the built-in node:sqlite: install without the optional native
  // driver there, as scripts/test-on-node.sh does, instead of compiling it for nothing.
  const omit = Number(process.versions.node.split('.')[0]) >= 24 ? ['--omit=optional'] : [];
  const installed = await run(
    'npm',
    [
      'install',
      join(work, tarball),
      'typescript@5.9',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      ...omit,
    ],
    project,
  );
  assert.doesNotMatch(installed.stderr + installed.stdout, /EBADENGINE/, 'no engine warning on this Node');

  const version = await run('npx', ['capstan', '--version'], project);
  assert.equal(version.stdout.trim(), '0.1.0');

  writeFileSync(join(project, 'pipelines', 'greeting.mjs'), JS_PIPELINE);
  writeFileSync(join(project, 'pipelines', 'invoice.ts'), TS_PIPELINE);
  writeFileSync(join(project, 'pipelines', 'entry-points.ts'), ENTRY_POINTS);
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2));
  // The package's types reach the user's TypeScript (the @ts-expect-error above must be needed).
  await run('npx', ['tsc', '-p', '.'], project);

  const serve = spawnProcess(
    'npx',
    [
      'capstan',
      'serve',
      '--pipelines',
      './pipelines/greeting.mjs',
      './pipelines/invoice.ts',
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--data-dir',
      join(work, 'data'),
    ],
    {
      cwd: project,
      env: {
        ...env,
        TEST_OPERATOR_TOKEN: OPERATOR_TOKEN,
        TEST_ADMIN_TOKEN: ADMIN_TOKEN,
        PIPELINE_ORCHESTRATOR_CONTROL_PLANE_ADMIN_TOKEN_REF: 'env:TEST_OPERATOR_TOKEN',
        PIPELINE_ORCHESTRATOR_ADMIN_ADMIN_TOKEN_REF: 'env:TEST_ADMIN_TOKEN',
      },
    },
  );
  t.after(() => serve.kill('SIGKILL'));
  const [, baseUrl = ''] = await serve.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/, 'capstan serve');
  const api = apiClient(baseUrl);

  const greeting = await api.submit({ pipelineId: 'js-greeting', input: { name: 'ada' } });
  assert.equal(greeting.status, 200, JSON.stringify(greeting.body));
  const invoice = await api.submit({ pipelineId: 'ts-invoice', input: { items: [250, 1000, 5] } });
  assert.equal(invoice.status, 200, JSON.stringify(invoice.body));

  const greeted = await api.result(greeting.body.executionId as string);
  assert.equal(greeted.body.status.status, 'SUCCEEDED', JSON.stringify(greeted.body));
  assert.deepEqual(greeted.body.result, { shout: 'HELLO ADA' });
  const summed = await api.result(invoice.body.executionId as string);
  assert.equal(summed.body.status.status, 'SUCCEEDED', JSON.stringify(summed.body));
  assert.equal(summed.body.result.cents, 1255);

  // The web console ships pre-built in the package: served with no build step on install.
  const page = await fetch(`${baseUrl}/console`);
  assert.equal(page.status, 200);
  const script = /src="(\/console\/assets\/[^"]+\.js)"/.exec(await page.text())?.[1];
  assert.ok(script, 'the console page loads its bundle');
  assert.equal((await fetch(`${baseUrl}${script}`)).status, 200);

  await serve.kill('SIGTERM');
});
