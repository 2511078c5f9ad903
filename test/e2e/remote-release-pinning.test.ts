/**
 * Release pinning across processes: executions parked on release v1 resume on a v1 worker after
 * v2 is registered and activated, while new submits run on the v2 worker; and a v1 execution
 * whose workers are all gone waits for one, without spending an attempt and never on v2.
 */
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import restaurantV2 from '../fixtures/restaurant-v2/pipeline.ts';
import { buildRelease } from '../../src/releases/build-release.ts';
import { ADMIN_TOKEN, apiClient, startCoordinatorProcess } from '../support/coordinator-process.ts';
import { newOrder } from '../support/restaurant-order.ts';
import { remoteCoordinatorEnv, startWorkerProcess } from '../support/worker-process.ts';
import { executionsRunBy, ranOn, waitForWorkerState } from '../support/worker-routing.ts';
import { eventually } from '../support/eventually.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const RESTAURANT = join(ROOT, 'examples/restaurant-approval/pipeline.ts');
const RESTAURANT_V2 = join(ROOT, 'test/fixtures/restaurant-v2/pipeline.ts');
const RELEASES = '/tpf/admin/tenants/default/pipelines/restaurant-approval/releases';

/** A bounded wait for a value (15 s). */
const until = <T>(what: string, probe: () => T | undefined | Promise<T | undefined>): Promise<T> =>
  eventually(what, probe, { timeoutMs: 15_000 });

test('parked v1 executions finish on the v1 worker after v2 is activated; new ones run on v2; v1 without a worker waits', async (t) => {
  // `--pipelines` registers and activates v1, the example; the coordinator runs nothing itself.
  const coordinator = await startCoordinatorProcess(t, {
    pipelines: [RESTAURANT],
    env: remoteCoordinatorEnv(),
  });
  const api = apiClient(coordinator.baseUrl);
  const admin = apiClient(coordinator.baseUrl, ADMIN_TOKEN);
  const v1 = (await admin.call('GET', `${RELEASES}/active`)).body.releaseVersion as string;
  const workerV1 = await startWorkerProcess(t, {
    pipelines: [RESTAURANT],
    coordinatorUrl: coordinator.baseUrl,
    nodeId: 'worker-v1',
  });
  await waitForWorkerState(coordinator, 'worker-v1', 'HEALTHY');

  const parked: string[] = [];
  for (let i = 0; i < 3; i++) {
    const submitted = await api.submit({ pipelineId: 'restaurant-approval', input: newOrder() });
    assert.equal(submitted.status, 200, JSON.stringify(submitted.body));
    assert.equal(submitted.body.releaseVersion, v1);
    parked.push(submitted.body.executionId as string);
  }
  for (const id of parked) assert.equal((await api.result(id)).body.status.status, 'WAITING_EXTERNAL');

  // v2 (another contract: no await step) registered and activated, then a worker that fetches
  // its artifact from the coordinator's artifact store by release name.
  const built = await buildRelease(restaurantV2, { sourceFile: RESTAURANT_V2 });
  const registered = await admin.call('POST', `${RELEASES}/register`, {
    descriptor: built.descriptor,
    artifacts: [{ uri: built.artifactFileName, contentBase64: built.artifact.toString('base64') }],
  });
  assert.equal(registered.status, 200, JSON.stringify(registered.body));
  const v2 = registered.body.releaseVersion as string;
  assert.notEqual(v2, v1);
  assert.equal((await admin.call('POST', `${RELEASES}/${v2}/activate`)).body.status, 'ACTIVE');
  const workerV2 = await startWorkerProcess(t, {
    args: ['--release', `restaurant-approval@${v2}`],
    coordinatorUrl: coordinator.baseUrl,
    nodeId: 'worker-v2',
    env: { PIPELINE_ORCHESTRATOR_RELEASES_STORAGE_ROOT: join(coordinator.dataDir, 'artifacts') },
  });
  const listed = await waitForWorkerState(coordinator, 'worker-v2', 'HEALTHY');
  assert.deepEqual(
    [listed.releaseVersion, listed.artifactDigest],
    [v2, built.descriptor.artifacts[0]?.digest],
  );

  // New submits are pinned to v2 and run there (v2 approves at once).
  const fresh = await api.submit({ pipelineId: 'restaurant-approval', input: newOrder() });
  assert.equal(fresh.status, 200, JSON.stringify(fresh.body));
  assert.equal(fresh.body.releaseVersion, v2);
  const freshResult = await api.result(fresh.body.executionId as string);
  assert.equal(freshResult.body.status.status, 'SUCCEEDED');
  assert.deepEqual(freshResult.body.result, { outcome: 'APPROVED' });
  assert.ok(await ranOn(workerV2, fresh.body.executionId as string));
  assert.ok(!executionsRunBy(workerV1).has(fresh.body.executionId as string));

  // The parked v1 executions keep their pin: completed now, they finish on the v1 worker.
  const complete = async (executionId: string) => {
    const pending = (await api.pending()).body as {
      executionId: string;
      interactionId: string;
      requestPayload: { orderId: string };
    }[];
    const interaction = pending.find((i) => i.executionId === executionId);
    assert.ok(interaction, `an open interaction for ${executionId}`);
    const done = await api.complete({
      interactionId: interaction.interactionId,
      idempotencyKey: `decision-${executionId}`,
      response: {
        accepted: { orderId: interaction.requestPayload.orderId, decidedAt: '2026-01-01T12:00:00Z' },
      },
    });
    assert.equal(done.status, 200, JSON.stringify(done.body));
  };
  const [first, second, third] = parked;
  if (!first || !second || !third) throw new Error('three parked executions');
  for (const id of [first, second]) {
    await complete(id);
    const result = await api.result(id);
    assert.equal(result.body.status.status, 'SUCCEEDED', JSON.stringify(result.body));
    assert.equal(result.body.status.releaseVersion, v1);
    assert.equal(result.body.result.outcome, 'APPROVED', 'v1’s finalize step ran, not v2’s auto-approve');
    assert.ok(result.body.result.orderId, 'v1’s result shape');
  }
  for (const id of [first, second]) assert.ok(await ranOn(workerV1, id), `${id} ran on v1`);
  for (const id of parked) assert.ok(!executionsRunBy(workerV2).has(id), `${id} never ran on v2`);

  // No v1 worker left: the coordinator's call fails to connect (nothing ran), and the execution
  // waits for a v1 worker, its attempt unspent, rather than run on v2 or fail.
  await workerV1.kill('SIGKILL');
  await complete(third);
  const waiting = await until('the v1 execution to wait for a worker', async () => {
    const status = (await api.status(third)).body as Record<string, unknown>;
    return status.waitingFor === 'worker' ? status : undefined;
  });
  assert.ok(['QUEUED', 'WAIT_RETRY'].includes(String(waiting.status)), JSON.stringify(waiting));
  assert.deepEqual([waiting.releaseVersion, waiting.attempt], [v1, 0]);
  assert.ok(!executionsRunBy(workerV2).has(third), 'not run on v2');

  // A v1 worker comes back: the execution resumes there and finishes on v1.
  const workerV1b = await startWorkerProcess(t, {
    pipelines: [RESTAURANT],
    coordinatorUrl: coordinator.baseUrl,
    nodeId: 'worker-v1b',
  });
  const result = await api.result(third, 15_000);
  assert.equal(result.body.status.status, 'SUCCEEDED', JSON.stringify(result.body));
  assert.deepEqual([result.body.status.releaseVersion, result.body.status.attempt], [v1, 0]);
  assert.equal(result.body.result.outcome, 'APPROVED');
  assert.ok(await ranOn(workerV1b, third));
  assert.ok(!executionsRunBy(workerV2).has(third));
});
