/**
 * Who may move a worker: a coordinator process and a `capstan worker` process that registers
 * itself (signed), and a worker token in the hands of someone else, who tries to point the
 * worker's id at an endpoint of their own.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { systemClock } from '../../src/runtime/clock.ts';
import { systemRandom } from '../../src/runtime/random.ts';
import { canonicalJson } from '../../src/util/canonical-json.ts';
import { KeyRing } from '../../src/worker-protocol/key-ring.ts';
import { signRequest } from '../../src/worker-protocol/signed-messages.ts';
import { ADMIN_TOKEN, apiClient, startCoordinatorProcess } from '../support/coordinator-process.ts';
import { newOrder } from '../support/restaurant-order.ts';
import {
  remoteCoordinatorEnv,
  startWorkerProcess,
  WORKER_SECRET,
  WORKER_TOKEN,
} from '../support/worker-process.ts';
import { ranOn, waitForWorkerState, workersOf } from '../support/worker-routing.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const RESTAURANT = join(ROOT, 'examples/restaurant-approval/pipeline.ts');
const WORKERS = '/tpf/admin/tenants/default/pipelines/restaurant-approval/workers';

/** An endpoint that records every call it gets: where a hijacker would like commands to go. */
async function recordingServer(t: { after: (fn: () => unknown) => void }) {
  const calls: string[] = [];
  const server = createServer((request: IncomingMessage, response) => {
    calls.push(`${request.method} ${request.url}`);
    response.writeHead(500).end();
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  t.after(() => new Promise((done) => server.close(done)));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls };
}

test('re-registering a worker elsewhere: refused with a worker token, allowed with the admin token or a signed registration; the allow-list holds', async (t) => {
  const coordinator = await startCoordinatorProcess(t, {
    pipelines: [RESTAURANT],
    env: remoteCoordinatorEnv({ CAPSTAN_WORKERS_ALLOWED_ENDPOINTS: '127.0.0.1:*,localhost:*' }),
  });
  const api = apiClient(coordinator.baseUrl);
  const admin = apiClient(coordinator.baseUrl, ADMIN_TOKEN);
  const workerToken = apiClient(coordinator.baseUrl, WORKER_TOKEN);
  const worker = await startWorkerProcess(t, {
    pipelines: [RESTAURANT],
    coordinatorUrl: coordinator.baseUrl,
  });
  const real = await waitForWorkerState(coordinator, worker.workerId, 'HEALTHY');
  const elsewhere = await recordingServer(t);
  const moveTo = (endpoint: string) => ({
    workerId: worker.workerId,
    contractVersion: real.contractVersion,
    releaseVersion: real.releaseVersion,
    protocol: 'rest',
    endpoint,
  });

  // A worker token alone cannot move the worker; dispatch stays where it was.
  const hijack = await workerToken.call('POST', `${WORKERS}/register`, moveTo(elsewhere.url));
  assert.equal(hijack.status, 409, JSON.stringify(hijack.body));
  assert.equal(hijack.body.error.code, 'worker_endpoint_conflict');
  assert.equal(
    (await workersOf(coordinator)).find((w) => w.workerId === worker.workerId)?.endpoint,
    worker.baseUrl,
  );
  const submitted = await api.submit({ pipelineId: 'restaurant-approval', input: newOrder() });
  assert.equal(submitted.status, 200, JSON.stringify(submitted.body));
  const id = submitted.body.executionId as string;
  assert.equal((await api.result(id)).body.status.status, 'WAITING_EXTERNAL');
  assert.ok(await ranOn(worker, id), 'the segment ran on the real worker');
  assert.deepEqual(elsewhere.calls, [], 'nothing was sent to the other endpoint');

  // The allow-list refuses a link-local metadata address, whoever asks.
  const metadata = await admin.call('POST', `${WORKERS}/register`, {
    ...moveTo('http://169.254.169.254:80'),
    workerId: 'metadata',
  });
  assert.equal(metadata.status, 403, JSON.stringify(metadata.body));
  assert.equal(metadata.body.error.code, 'worker_endpoint_not_allowed');
  assert.ok(!(await workersOf(coordinator)).some((w) => w.workerId === 'metadata'));

  // The admin token may move it.
  const moved = await admin.call('POST', `${WORKERS}/register`, moveTo(elsewhere.url));
  assert.equal(moved.status, 200, JSON.stringify(moved.body));
  assert.equal(moved.body.endpoint, elsewhere.url);

  // So may a registration signed with the worker protocol's key (what `capstan worker` sends).
  const path = `${WORKERS}/register`;
  const body = moveTo(worker.baseUrl);
  const keys = new KeyRing({ defaultSecret: WORKER_SECRET });
  const { headers } = signRequest(
    keys,
    { clock: systemClock, random: systemRandom },
    {
      method: 'POST',
      path,
      body: canonicalJson(body),
    },
  );
  const signed = await workerToken.call('POST', path, body, headers);
  assert.equal(signed.status, 200, JSON.stringify(signed.body));
  assert.equal(signed.body.endpoint, worker.baseUrl);
  // Replayed, the same signed registration is refused.
  const replayed = await workerToken.call('POST', path, body, headers);
  assert.equal(replayed.status, 403, JSON.stringify(replayed.body));
  assert.equal(replayed.body.error.code, 'worker_signature_invalid');

  // `capstan worker` signs its registration: restarted on another port, it moves itself back.
  await worker.kill('SIGKILL');
  const restarted = await startWorkerProcess(t, {
    pipelines: [RESTAURANT],
    coordinatorUrl: coordinator.baseUrl,
    nodeId: worker.workerId,
  });
  assert.equal(restarted.workerId, worker.workerId);
  assert.notEqual(restarted.baseUrl, worker.baseUrl);
  const deadline = Date.now() + 15_000;
  while (
    (await workersOf(coordinator)).find((w) => w.workerId === worker.workerId)?.endpoint !== restarted.baseUrl
  ) {
    if (Date.now() > deadline) throw new Error('the restarted worker did not register at its new endpoint');
    await sleep(100);
  }
});
