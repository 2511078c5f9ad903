/**
 * Remote transition workers over signed REST, as separate processes: a coordinator that runs
 * nothing itself (`require-remote-worker=true`) and `capstan worker` processes that register
 * themselves with a worker token and heartbeat.
 */
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { test, type TestContext } from 'node:test';
import {
  ADMIN_TOKEN,
  apiClient,
  startCoordinatorProcess,
  type CoordinatorProcess,
} from '../support/coordinator-process.ts';
import { newOrder } from '../support/restaurant-order.ts';
import { runTpfFlowsOnWorker } from '../support/tpf-flows.ts';
import { remoteCoordinatorEnv, startWorkerProcess } from '../support/worker-process.ts';
import { executionsRunBy, ranOn, waitForWorkerState as waitForState } from '../support/worker-routing.ts';
import { eventually } from '../support/eventually.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const RESTAURANT = join(ROOT, 'examples/restaurant-approval/pipeline.ts');
const RESTAURANT_V2 = join(ROOT, 'test/fixtures/restaurant-v2/pipeline.ts');
const WORKERS = '/tpf/admin/tenants/default/pipelines/restaurant-approval/workers';

function startCoordinator(t: TestContext, env: Record<string, string> = {}): Promise<CoordinatorProcess> {
  // `--pipelines` registers and activates the restaurant release; nothing runs in this process.
  return startCoordinatorProcess(t, { pipelines: [RESTAURANT], env: remoteCoordinatorEnv(env) });
}

test('coordinator + REST worker: accepted, declined and incident flows, as TPF’s client runs them', async (t) => {
  const coordinator = await startCoordinator(t, { PIPELINE_ORCHESTRATOR_MAX_RETRIES: '0' });
  const api = apiClient(coordinator.baseUrl);
  const refused = await api.submit({ pipelineId: 'restaurant-approval', input: newOrder() });
  assert.equal(refused.status, 503, 'no worker yet: the coordinator runs nothing itself');
  assert.equal(refused.body.error.code, 'no_healthy_worker');

  const worker = await startWorkerProcess(t, {
    pipelines: [RESTAURANT],
    coordinatorUrl: coordinator.baseUrl,
  });
  const registered = await waitForState(coordinator, worker.workerId, 'HEALTHY');
  assert.equal(registered.protocol, 'rest');
  assert.equal(registered.endpoint, worker.baseUrl);

  await runTpfFlowsOnWorker(t, coordinator, worker);
});

test('routing: another release is no healthy worker (503); a drained worker gets no new segments', async (t) => {
  const coordinator = await startCoordinator(t);
  const api = apiClient(coordinator.baseUrl);
  const admin = apiClient(coordinator.baseUrl, ADMIN_TOKEN);
  const other = await startWorkerProcess(t, {
    pipelines: [RESTAURANT_V2],
    coordinatorUrl: coordinator.baseUrl,
  });
  const registered = await waitForState(coordinator, other.workerId, 'HEALTHY');
  const active = (await admin.call('GET', `${WORKERS.replace('/workers', '/releases/active')}`)).body as {
    releaseVersion: string;
  };
  assert.notEqual(registered.releaseVersion, active.releaseVersion, 'the worker hosts another release');
  const refused = await api.submit({ pipelineId: 'restaurant-approval', input: newOrder() });
  assert.equal(refused.status, 503);
  assert.equal(refused.body.error.code, 'no_healthy_worker');

  const [a, b] = await Promise.all(
    ['worker-a', 'worker-b'].map((nodeId) =>
      startWorkerProcess(t, { pipelines: [RESTAURANT], coordinatorUrl: coordinator.baseUrl, nodeId }),
    ),
  );
  if (!a || !b) throw new Error('two workers');
  await Promise.all([a, b].map((w) => waitForState(coordinator, w.workerId, 'HEALTHY')));
  const drained = await admin.call('POST', `${WORKERS}/worker-a/drain`);
  assert.equal(drained.body.state, 'DRAINING');

  const submitFour = async () => {
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const submitted = await api.submit({ pipelineId: 'restaurant-approval', input: newOrder() });
      assert.equal(submitted.status, 200, JSON.stringify(submitted.body));
      ids.push(submitted.body.executionId as string);
    }
    for (const id of ids) assert.equal((await api.result(id)).body.status.status, 'WAITING_EXTERNAL');
    return ids;
  };
  const whileDrained = await submitFour();
  for (const id of whileDrained) {
    // The worker's log line may trail the result it sent: wait for it (bounded).
    assert.ok(await ranOn(b, id), `${id} ran on worker-b`);
    assert.ok(!executionsRunBy(a).has(id), `${id} did not run on the drained worker-a`);
  }
  assert.equal(executionsRunBy(other).size, 0, 'the other release never gets a segment');

  assert.equal((await admin.call('POST', `${WORKERS}/worker-a/undrain`)).body.state, 'HEALTHY');
  const afterUndrain = await submitFour();
  // Spread, not a fixed split: which worker takes which depends on who asks first.
  for (const id of afterUndrain)
    await eventually(`${id} in a worker's log`, () =>
      executionsRunBy(a).has(id) || executionsRunBy(b).has(id) ? true : undefined,
    );
  const onA = afterUndrain.filter((id) => executionsRunBy(a).has(id));
  const onB = afterUndrain.filter((id) => executionsRunBy(b).has(id));
  assert.equal(onA.length + onB.length, afterUndrain.length, 'each ran on one of the two');
  assert.ok(
    onA.length > 0 && onB.length > 0,
    `load is spread across the healthy workers again (${onA.length}/${onB.length})`,
  );
});
