import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ADMIN_TOKEN, apiClient, startCoordinatorProcess } from '../support/coordinator-process.ts';
import { eventually, until } from '../support/eventually.ts';
import { newOrder } from '../support/restaurant-order.ts';

test('workers: register and heartbeat with a worker token, drain and undrain, computed states', async (t) => {
  const coordinator = await startCoordinatorProcess(t, {
    env: { PIPELINE_ORCHESTRATOR_WORKER_LIFECYCLE_STALE_AFTER: 'PT1S' },
  });
  const workerToken = (
    JSON.parse(readFileSync(join(coordinator.dataDir, 'tokens.json'), 'utf8')) as { worker: string }
  ).worker;
  const admin = apiClient(coordinator.baseUrl, ADMIN_TOKEN);
  const worker = apiClient(coordinator.baseUrl, workerToken);
  const api = apiClient(coordinator.baseUrl);
  const workers = '/tpf/admin/tenants/default/pipelines/restaurant-approval/workers';
  const active = (
    await admin.call('GET', '/tpf/admin/tenants/default/pipelines/restaurant-approval/releases/active')
  ).body as { contractVersion: string; releaseVersion: string };

  // The coordinator registered its in-process worker, and keeps it fresh with heartbeats: once a
  // heartbeat comes later than stale-after (1 s) past its registration, it is still HEALTHY.
  const local = await eventually('a local-worker heartbeat past stale-after', async () => {
    const listed = (await admin.call('GET', workers)).body as {
      workerId: string;
      protocol: string;
      state: string;
      registeredAtEpochMs: number;
      lastHeartbeatAtEpochMs: number;
    }[];
    const found = listed.find((w) => w.protocol === 'local');
    return found && found.lastHeartbeatAtEpochMs > found.registeredAtEpochMs + 1_000 ? found : undefined;
  });
  assert.equal(local.state, 'HEALTHY', 'the local worker heartbeats more often than stale-after');

  // A worker token opens registration, heartbeat and reading one release, and nothing else.
  const registration = {
    workerId: 'rest-1',
    contractVersion: active.contractVersion,
    releaseVersion: active.releaseVersion,
    protocol: 'REST',
    endpoint: 'http://127.0.0.1:9/pipeline',
  };
  const registered = await worker.call('POST', `${workers}/register`, registration);
  assert.equal(registered.status, 200, JSON.stringify(registered.body));
  assert.equal(registered.body.state, 'HEALTHY');
  assert.equal(registered.body.protocol, 'rest');
  assert.equal((await worker.call('POST', `${workers}/rest-1/heartbeat`)).body.state, 'HEALTHY');
  assert.equal((await worker.call('POST', `${workers}/rest-1/drain`)).status, 403);
  assert.equal((await worker.call('GET', workers)).status, 403);
  const releases = '/tpf/admin/tenants/default/pipelines/restaurant-approval/releases';
  const release = await worker.call('GET', `${releases}/${active.releaseVersion}`);
  assert.equal(release.status, 200, 'what `capstan worker --release` reads');
  assert.equal(release.body.releaseVersion, active.releaseVersion);
  assert.equal((await worker.call('GET', releases)).status, 403);
  assert.equal((await worker.call('POST', `${releases}/${active.releaseVersion}/activate`)).status, 403);
  assert.equal((await worker.pending()).status, 403);
  assert.equal((await api.call('POST', `${workers}/register`, registration)).status, 403);

  // Without heartbeats a worker goes STALE; a heartbeat brings it back.
  await until('rest-1 STALE without heartbeats', async () => {
    const listed = (await admin.call('GET', `${workers}?releaseVersion=${active.releaseVersion}`)).body as {
      workerId: string;
      state: string;
    }[];
    return listed.find((w) => w.workerId === 'rest-1')?.state === 'STALE';
  });
  assert.equal((await worker.call('POST', `${workers}/rest-1/heartbeat`)).body.state, 'HEALTHY');

  // Draining the local worker stops admission (no HEALTHY worker this coordinator can use).
  const drained = await admin.call('POST', `${workers}/${encodeURIComponent(local.workerId)}/drain`);
  assert.equal(drained.body.state, 'DRAINING');
  assert.ok(drained.body.drainingSinceEpochMs > 0);
  const refused = await api.submit({ pipelineId: 'restaurant-approval', input: newOrder() });
  assert.equal(refused.status, 503);
  assert.equal(refused.body.error.code, 'no_healthy_worker');
  const undrained = await admin.call('POST', `${workers}/${encodeURIComponent(local.workerId)}/undrain`);
  assert.equal(undrained.body.state, 'HEALTHY');
  const accepted = await api.submit({ pipelineId: 'restaurant-approval', input: newOrder() });
  assert.equal(accepted.status, 200);
  assert.equal((await api.result(accepted.body.executionId)).body.status.status, 'WAITING_EXTERNAL');

  assert.equal((await admin.call('POST', `${workers}/nobody/heartbeat`)).body.error.code, 'worker_not_found');
  const bad = await admin.call('POST', `${workers}/register`, { workerId: 'x' });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.code, 'invalid_request');
  const filtered = (await admin.call('GET', `${workers}?releaseVersion=none`)).body as unknown[];
  assert.deepEqual(filtered, []);
});
