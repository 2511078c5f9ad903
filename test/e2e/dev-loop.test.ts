/**
 * The development loop never strands an execution. An execution parked on release v1 of a
 * pipeline finishes on v1 after the pipeline file changes and the coordinator restarts (on SQLite,
 * on PostgreSQL, with artifacts in S3), or after `capstan dev` sees the save; a new execution runs on the new
 * release. The coordinator says which release it kept and for how many executions, and warns when
 * a live execution's release can be hosted by nobody (its artifact is gone).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test, type TestContext } from 'node:test';
import { LocalArtifactStore } from '../../src/releases/local-artifact-store.ts';
import { apiClient, OPERATOR_TOKEN, startCoordinatorProcess } from '../support/coordinator-process.ts';
import { devloopProject } from '../support/devloop-project.ts';
import { eventually } from '../support/eventually.ts';
import { freshSchema } from '../support/fresh-schema.ts';
import { postgresUrl } from '../support/postgres-server.ts';
import { startS3Server } from '../support/s3-server.ts';
import { spawnProcess } from '../support/spawned-process.ts';

const ROOT = resolve(import.meta.dirname, '../..');
type Api = ReturnType<typeof apiClient>;

function tempDir(t: TestContext, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Submits a `devloop` execution and waits until it is parked on its await step. */
async function park(api: Api, orderId: string): Promise<{ id: string; releaseVersion: string }> {
  const submitted = await api.submit({ pipelineId: 'devloop', input: { orderId } });
  assert.equal(submitted.status, 200, JSON.stringify(submitted.body));
  const id = submitted.body.executionId as string;
  assert.equal((await api.result(id)).body.status.status, 'WAITING_EXTERNAL');
  return { id, releaseVersion: submitted.body.releaseVersion as string };
}

/** Answers the execution's open interaction and returns its final status and result. */
async function approve(
  api: Api,
  id: string,
): Promise<{ status: string; releaseVersion: string; version: string }> {
  const pending = (await api.pending()).body as { interactionId: string; executionId: string }[];
  const interaction = pending.find((i) => i.executionId === id);
  assert.ok(interaction, `execution ${id} waits for an answer: ${JSON.stringify(pending)}`);
  const completed = await api.complete({ interactionId: interaction.interactionId, response: { ok: true } });
  assert.equal(completed.status, 200, JSON.stringify(completed.body));
  const done = (await api.result(id)).body;
  return {
    status: done.status.status as string,
    releaseVersion: done.status.releaseVersion as string,
    version: done.result?.version as string,
  };
}

/** The environment of a coordinator on a fresh PostgreSQL schema, dropped after the test. */
async function postgresEnv(t: TestContext): Promise<Record<string, string>> {
  const url = await postgresUrl();
  const schema = freshSchema(t, url, 'capstan_devloop');
  return {
    TEST_POSTGRES_URL: url,
    PIPELINE_ORCHESTRATOR_STATE_PROVIDER: 'postgres',
    PIPELINE_ORCHESTRATOR_POSTGRES_URL: 'env:TEST_POSTGRES_URL',
    PIPELINE_ORCHESTRATOR_POSTGRES_SCHEMA: schema,
  };
}

/** Where the restart story runs: each store, and artifacts in S3 rather than the data directory. */
const SETUPS = [
  { name: 'sqlite', env: async () => ({}) },
  { name: 'postgres', env: postgresEnv },
  {
    name: 'sqlite, artifacts in S3',
    env: async (t: TestContext) => {
      const s3 = await startS3Server(t);
      return s3.storageEnv(await s3.freshBucket(), 'capstan/releases');
    },
  },
];

for (const setup of SETUPS) {
  test(`${setup.name}: edit and restart: the parked execution finishes on its pinned release, a new one runs on the new release`, async (t) => {
    const env = await setup.env(t);
    const project = devloopProject(t, { tag: 'v1' });
    const dataDir = tempDir(t, 'capstan-devloop-data-');
    const first = await startCoordinatorProcess(t, { pipelines: [project.file], dataDir, env });
    const parked = await park(apiClient(first.baseUrl), 'order-1');
    assert.equal(await first.kill('SIGTERM'), 0);

    // Another contract (an added step) and other code: a new release, activated at start.
    project.write({ tag: 'v2', withAudit: true });
    const second = await startCoordinatorProcess(t, { pipelines: [project.file], dataDir, env });
    assert.match(
      second.output(),
      new RegExp(
        `kept release {4}devloop @ ${parked.releaseVersion.replace('.', '\\.')} kept for 1 live execution`,
      ),
    );
    assert.doesNotMatch(second.output(), /WARNING/);
    const api = apiClient(second.baseUrl);
    assert.deepEqual(await approve(api, parked.id), {
      status: 'SUCCEEDED',
      releaseVersion: parked.releaseVersion,
      version: 'v1',
    });
    const fresh = await park(api, 'order-2');
    assert.notEqual(fresh.releaseVersion, parked.releaseVersion);
    assert.deepEqual(await approve(api, fresh.id), {
      status: 'SUCCEEDED',
      releaseVersion: fresh.releaseVersion,
      version: 'v2',
    });
  });
}

test('a live execution whose release nobody can host is named by a start-up warning', async (t) => {
  const project = devloopProject(t, { tag: 'v1' });
  const dataDir = tempDir(t, 'capstan-devloop-data-');
  const first = await startCoordinatorProcess(t, { pipelines: [project.file], dataDir });
  const parked = await park(apiClient(first.baseUrl), 'order-1');
  await first.kill('SIGTERM');

  // The v1 artifact is removed from the store: nothing can load that release any more.
  const artifacts = new LocalArtifactStore(join(dataDir, 'artifacts'));
  for (const hex of readdirSync(join(dataDir, 'artifacts', 'sha256')))
    rmSync(artifacts.pathOf(`sha256:${hex}`));
  project.write({ tag: 'v2' });
  const second = await startCoordinatorProcess(t, { pipelines: [project.file], dataDir });
  const banner = second.output();
  assert.match(
    banner,
    new RegExp(
      `WARNING {9}1 live execution of devloop @ ${parked.releaseVersion.replace('.', '\\.')} \\(tenant default\\) cannot run: .*missing from the artifact store.*executions ${parked.id}`,
    ),
  );
  assert.match(banner, new RegExp(`"level":(40|"warn").*cannot run.*${parked.id}`), 'and in the log stream');
  assert.doesNotMatch(banner, /kept release/);
});

test('capstan dev: a save activates a new release and prints the contract change; the parked execution finishes on its own release', async (t) => {
  const project = devloopProject(t, { tag: 'v1' });
  const dataDir = tempDir(t, 'capstan-devloop-data-');
  const dev = spawnProcess(
    process.execPath,
    [
      join(ROOT, 'bin/capstan.mjs'),
      'dev',
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--data-dir',
      dataDir,
      '--pipelines',
      project.file,
    ],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        TEST_OPERATOR_TOKEN: OPERATOR_TOKEN,
        PIPELINE_ORCHESTRATOR_CONTROL_PLANE_ADMIN_TOKEN_REF: 'env:TEST_OPERATOR_TOKEN',
      },
    },
  );
  // Stopped as a user stops it (Ctrl-C), so it removes its bundles folder.
  t.after(() => dev.kill('SIGTERM'));
  const [, baseUrl = ''] = await dev.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/, 'capstan dev');
  await dev.waitFor(/\[dev\] watching/, 'the watcher');
  const api = apiClient(baseUrl);
  const parked = await park(api, 'order-1');

  /** The releases `capstan dev` said it activated, in order. */
  const activated = () => [...dev.output().matchAll(/\[dev\] devloop: activated (\S+)/g)].map((m) => m[1]);
  project.write({ tag: 'v2', withAudit: true });
  const [v2] = await eventually('the activated line', () => activated()[0] && activated());
  assert.ok(v2 && v2 !== parked.releaseVersion);
  assert.match(dev.output(), /\+ step audit \(step, position 2\)\n\s+~ step finish: position 2 → 3/);
  assert.match(
    dev.output(),
    new RegExp(`devloop: ${parked.releaseVersion.replace('.', '\\.')} still hosted for 1 live execution`),
  );

  // A save that does not build changes nothing: the error is printed, v2 stays active.
  project.write({ tag: 'v2', withAudit: true, broken: true });
  await dev.waitFor(
    /\[dev\] build failed; the previous release keeps serving:\n[\s\S]*ERROR/,
    'the build error',
  );
  assert.equal(activated().length, 1);

  // Saved again as it was: nothing new to activate. Then a save of a module the pipeline
  // imports: a new release, with the same contract and other code.
  project.write({ tag: 'v2', withAudit: true });
  await dev.waitFor(/\[dev\] devloop: \S+ is already the active release/, 'the unchanged save');
  project.writeTag('v3');
  const v3 = await eventually('the imported module’s save', () => activated()[1]);
  assert.match(
    dev.output(),
    new RegExp(`devloop: activated ${v3.replace('.', '\\.')} \\(code changed, same contract\\)`),
  );

  assert.deepEqual(await approve(api, parked.id), {
    status: 'SUCCEEDED',
    releaseVersion: parked.releaseVersion,
    version: 'v1',
  });
  const fresh = await park(api, 'order-2');
  assert.equal(fresh.releaseVersion, v3);
  assert.deepEqual(await approve(api, fresh.id), { status: 'SUCCEEDED', releaseVersion: v3, version: 'v3' });
});
