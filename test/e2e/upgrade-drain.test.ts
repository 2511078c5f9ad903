/**
 * The upgrade-and-drain runbook (docs/upgrade-and-drain.md), run as written: the commands of its
 * `rehearsal=…` blocks against real processes. A coordinator that runs nothing itself, a v1
 * worker with orders parked on it; v2 built, registered, its worker started, activated; a canary
 * on v2; the v1 worker drained, the v1 orders finishing on it, the "still on v1" list reaching
 * (none), and only then the v1 worker stopped.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test, type TestContext } from 'node:test';
import restaurant from '../../examples/restaurant-approval/pipeline.ts';
import { buildRelease } from '../../src/releases/build-release.ts';
import { ok, runCapstan } from '../support/cli-run.ts';
import {
  ADMIN_TOKEN,
  OPERATOR_TOKEN,
  apiClient,
  startCoordinatorProcess,
} from '../support/coordinator-process.ts';
import { eventually } from '../support/eventually.ts';
import { newOrder } from '../support/restaurant-order.ts';
import { runbookCommands } from '../support/runbook-blocks.ts';
import { spawnProcess } from '../support/spawned-process.ts';
import {
  WORKER_SECRET,
  WORKER_TOKEN,
  remoteCoordinatorEnv,
  startWorkerProcess,
  type WorkerProcess,
} from '../support/worker-process.ts';
import { executionsRunBy, ranOn, waitForWorkerState } from '../support/worker-routing.ts';

const DOC = 'docs/upgrade-and-drain.md';
const ROOT = resolve(import.meta.dirname, '../..');
const PIPELINE = 'restaurant-approval';
const RESTAURANT = join(ROOT, 'examples/restaurant-approval/pipeline.ts');
const RESTAURANT_V2 = join(ROOT, 'test/fixtures/restaurant-v2/pipeline.ts');
const RELEASES = `/tpf/admin/tenants/default/pipelines/${PIPELINE}/releases`;
const V1 = '1.0.0';
const V2 = '2.0.0';

const tempDir = (t: TestContext, prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};

/**
 * The runbook's `capstan worker` line, started as the long-running process it is (with the worker
 * configuration every worker has: the protocol secret and the worker token), once its banner is out.
 */
async function startRunbookWorker(
  t: TestContext,
  args: readonly string[],
  dataDir: string,
): Promise<WorkerProcess> {
  assert.equal(args[0], 'worker', 'the block starts a worker');
  const worker = spawnProcess(process.execPath, [join(ROOT, 'bin/capstan.mjs'), ...args], {
    cwd: ROOT,
    env: {
      ...process.env,
      CAPSTAN_LOG_LEVEL: 'debug',
      CAPSTAN_DATA_DIR: dataDir,
      TEST_WORKER_SECRET: WORKER_SECRET,
      PIPELINE_ORCHESTRATOR_WORKER_REST_SHARED_SECRET_REF: 'env:TEST_WORKER_SECRET',
      CAPSTAN_WORKER_TOKEN: WORKER_TOKEN,
      CAPSTAN_WORKER_HEARTBEAT_INTERVAL: 'PT1S',
    },
  });
  t.after(() => worker.kill('SIGKILL'));
  const [, workerId = '', baseUrl = ''] = await worker.waitFor(
    /worker (\S+) listening on (http:\/\/127\.0\.0\.1:\d+)/,
    'the v2 worker',
  );
  return { workerId, baseUrl, child: worker.child, output: worker.output, kill: worker.kill };
}

/** An execution's `execution  <id>` line, as `submit` prints it. */
const executionIdIn = (printed: string): string => {
  const id = /^execution\s+(\S+)$/m.exec(printed)?.[1];
  assert.ok(id, printed);
  return id;
};

test('the upgrade-and-drain runbook as written: v2 beside v1, canary, drain, v1 finishes on v1', async (t) => {
  const dir = tempDir(t, 'capstan-upgrade-');
  // The starting point: a coordinator that runs nothing itself, release v1 registered and
  // active, a v1 worker, and orders parked on v1 at the restaurant's decision.
  const coordinator = await startCoordinatorProcess(t, { pipelines: [], env: remoteCoordinatorEnv() });
  const api = apiClient(coordinator.baseUrl);
  const admin = apiClient(coordinator.baseUrl, ADMIN_TOKEN);
  const v1 = await buildRelease(restaurant, { sourceFile: RESTAURANT, releaseVersion: V1 });
  const registered = await admin.call('POST', `${RELEASES}/register`, {
    descriptor: v1.descriptor,
    artifacts: [{ uri: v1.artifactFileName, contentBase64: v1.artifact.toString('base64') }],
  });
  assert.equal(registered.status, 200, JSON.stringify(registered.body));
  assert.equal((await admin.call('POST', `${RELEASES}/${V1}/activate`)).status, 200);
  const workerV1 = await startWorkerProcess(t, {
    args: ['--release', `${PIPELINE}@${V1}`],
    coordinatorUrl: coordinator.baseUrl,
    nodeId: 'worker-v1',
    env: { CAPSTAN_DATA_DIR: tempDir(t, 'capstan-worker-v1-') },
  });
  await waitForWorkerState(coordinator, 'worker-v1', 'HEALTHY');
  const onV1: string[] = [];
  for (let i = 0; i < 3; i++) {
    const submitted = await api.submit({ pipelineId: PIPELINE, input: newOrder() });
    assert.equal(submitted.status, 200, JSON.stringify(submitted.body));
    assert.equal(submitted.body.releaseVersion, V1);
    onV1.push(submitted.body.executionId as string);
  }
  for (const id of onV1) assert.equal((await api.result(id)).body.status.status, 'WAITING_EXTERNAL');

  const canaryInput = join(dir, 'canary.json');
  writeFileSync(canaryInput, JSON.stringify(newOrder({ customerName: 'Canary' })));
  const vars: Record<string, string> = {
    V1,
    V2,
    V2_PIPELINES: RESTAURANT_V2,
    RELEASE_DIR: join(dir, 'releases'),
    CAPSTAN_URL: coordinator.baseUrl,
    V2_WORKER: 'worker-v2',
    V2_WORKER_PORT: '0',
    CANARY_INPUT: canaryInput,
    CANARY_KEY: 'canary-1',
    V1_WORKER: 'worker-v1',
  };
  const env = {
    ...process.env,
    CAPSTAN_URL: coordinator.baseUrl,
    CAPSTAN_TOKEN: OPERATOR_TOKEN,
    CAPSTAN_ADMIN_TOKEN: ADMIN_TOKEN,
  };
  /** Runs a block's commands in order as the doc writes them; their stdout, each exiting 0. */
  const runBlock = async (name: string): Promise<string> => {
    let printed = '';
    for (const args of runbookCommands(DOC, name, vars)) printed += ok(await runCapstan(env, args));
    return printed;
  };

  // 1. Build and register v2.
  assert.match(await runBlock('build-v2'), new RegExp(`^  release   ${V2.replaceAll('.', '\\.')}$`, 'm'));
  const shown = await runBlock('register-v2');
  assert.match(shown, new RegExp(`^release\\s+${V2}$`, 'm'));
  assert.equal((await admin.call('GET', `${RELEASES}/active`)).body.releaseVersion, V1, 'not active yet');

  // 2. A v2 worker, started by the block's command; it fetches v2's artifact from the coordinator.
  const [startWorker, ...more] = runbookCommands(DOC, 'start-v2-worker', vars);
  assert.ok(startWorker && more.length === 0);
  const workerV2 = await startRunbookWorker(t, startWorker, tempDir(t, 'capstan-worker-v2-'));
  assert.equal(workerV2.workerId, 'worker-v2');
  await eventually('the v2 worker listed HEALTHY', async () =>
    /^worker-v2\s.*HEALTHY/m.test(await runBlock('v2-workers')) ? true : undefined,
  );

  // 3. Activate v2: new submissions are pinned to it.
  const activated = await runBlock('activate-v2');
  assert.match(activated, new RegExp(`^release\\s+${V2}$`, 'm'));
  assert.match(activated, /^status\s+ACTIVE$/m);

  // 4. The canary runs on v2, on the v2 worker.
  const canary = executionIdIn(await runBlock('canary-submit'));
  vars.CANARY_ID = canary;
  const checked = await runBlock('canary-check');
  assert.match(checked, new RegExp(`^release\\s+${V2}$`, 'm'));
  assert.match(checked, new RegExp(`^${canary}  SUCCEEDED$`, 'm'));
  assert.ok(await ranOn(workerV2, canary), 'the canary ran on the v2 worker');
  assert.ok(!executionsRunBy(workerV1).has(canary));

  // 5. Drain the v1 worker: no new execution reaches v1, and submissions keep being accepted (v2).
  assert.match(await runBlock('v1-workers'), /^worker-v1\s.*HEALTHY/m);
  assert.match(await runBlock('drain-v1'), /^state\s+DRAINING$/m);
  const afterDrain = await api.submit({ pipelineId: PIPELINE, input: newOrder() });
  assert.equal(afterDrain.status, 200, JSON.stringify(afterDrain.body));
  assert.equal(afterDrain.body.releaseVersion, V2);

  // 6. The parked v1 orders are still on v1; the restaurant answers them and they finish there.
  const live = await runBlock('v1-live');
  for (const id of onV1)
    assert.match(live, new RegExp(`^${id}\\s+WAITING_EXTERNAL\\s+${PIPELINE}\\s+${V1}`, 'm'));
  const pending = (await api.pending()).body as {
    executionId: string;
    interactionId: string;
    requestPayload: { orderId: string };
  }[];
  for (const id of onV1) {
    const interaction = pending.find((i) => i.executionId === id);
    assert.ok(interaction, `an open interaction for ${id}`);
    const done = await api.complete({
      interactionId: interaction.interactionId,
      response: {
        accepted: { orderId: interaction.requestPayload.orderId, decidedAt: '2026-01-01T12:00:00Z' },
      },
    });
    assert.equal(done.status, 200, JSON.stringify(done.body));
  }
  await eventually('nothing left on v1', async () =>
    (await runBlock('v1-live')).trim() === '(none)' ? true : undefined,
  );
  for (const id of onV1) {
    const result = await api.result(id);
    assert.equal(result.body.status.status, 'SUCCEEDED', JSON.stringify(result.body));
    assert.equal(result.body.status.releaseVersion, V1);
    assert.equal(result.body.result.outcome, 'APPROVED');
    assert.ok(result.body.result.orderId, 'v1’s result shape: its finalize step ran, not v2’s');
    assert.ok(await ranOn(workerV1, id), `${id} finished on the drained v1 worker`);
    assert.ok(!executionsRunBy(workerV2).has(id), `${id} never ran on v2`);
  }

  // 7. Stop the v1 worker: it exits cleanly, and new work keeps running on v2.
  assert.equal(await workerV1.kill('SIGTERM'), 0);
  const last = await api.submit({ pipelineId: PIPELINE, input: newOrder() });
  assert.equal(last.status, 200, JSON.stringify(last.body));
  assert.equal((await api.result(last.body.executionId as string)).body.status.status, 'SUCCEEDED');
  assert.ok(await ranOn(workerV2, last.body.executionId as string));
});
