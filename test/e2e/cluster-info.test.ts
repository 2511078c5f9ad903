// `GET /api/cluster/info` advertises what the node really serves (docs/cluster-info.md): real
// `capstan serve` processes, each advertised protocol and encoding then used for real. On SQLite
// with the REST protocol and no in-process worker; on PostgreSQL with the in-process worker.
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import {
  ADMIN_TOKEN,
  apiClient,
  OPERATOR_TOKEN,
  startCoordinatorProcess,
} from '../support/coordinator-process.ts';
import { apiServer } from '../support/api-server.ts';
import { runCapstan, ok } from '../support/cli-run.ts';
import { freshSchema } from '../support/fresh-schema.ts';
import { postgresUrl } from '../support/postgres-server.ts';
import { pullApi } from '../support/pull-api.ts';
import { newOrder } from '../support/restaurant-order.ts';
import { remoteCoordinatorEnv, startWorkerProcess, WORKER_TOKEN } from '../support/worker-process.ts';
import { ranOn, waitForWorkerState } from '../support/worker-routing.ts';

const RESTAURANT = join(resolve(import.meta.dirname, '../..'), 'examples/restaurant-approval/pipeline.ts');

type Api = ReturnType<typeof apiClient>;

/** Submits an order with its input as a payload envelope of `encoding`. */
const submitEncoded = (api: Api, encoding: string) =>
  api.submit({
    pipelineId: 'restaurant-approval',
    inputPayload: { payloadTypeId: 'order', payloadEncoding: encoding, payload: JSON.stringify(newOrder()) },
  });

async function parkedAtDecision(api: Api, executionId: string): Promise<void> {
  const settled = await api.result(executionId);
  assert.equal(settled.body.status.status, 'WAITING_EXTERNAL', JSON.stringify(settled.body));
}

test('SQLite, REST workers only: single-node, and the REST protocol and the encoding it advertises work', async (t) => {
  const coordinator = await startCoordinatorProcess(t, {
    pipelines: [RESTAURANT],
    env: remoteCoordinatorEnv(),
  });
  const api = apiClient(coordinator.baseUrl);
  const info = (await apiClient(coordinator.baseUrl, WORKER_TOKEN).call('GET', '/api/cluster/info')).body;

  assert.deepEqual(info.protocols.workerProtocols, ['rest', 'pull'], 'no in-process worker is advertised');
  assert.equal(info.protocols.queueBroker, null);
  assert.deepEqual(info.protocols.payloadEncodings, ['application/tpf-transition+json']);
  assert.deepEqual(info.protocols.awaitTransports, ['interaction-api']);
  assert.equal(info.topology.currentShape, 'single-node');
  assert.equal(info.topology.executionMode, 'remote-workers');
  assert.equal(info.topology.taskDispatchMode, 'push-and-pull');
  assert.equal(info.topology.matchingRole.wakeOwner, 'in-process');
  assert.deepEqual(info.topology.partitionPrimitives, ['tenant', 'pipeline', 'release']);
  assert.deepEqual(info.topology.currentRoles, info.roles);
  assert.ok(info.roles.includes('maintenance-leader'), 'alone, it leads maintenance');
  assert.equal(info.backend.provider, 'sqlite');
  assert.equal(info.backend.capabilities.sharedByNodes, false);
  assert.equal(info.backend.capabilities.durableCommits, true);
  assert.deepEqual(
    info.backend.warnings.map((w: { code: string }) => w.code),
    ['single_writer', 'no_cross_node'],
  );

  // `rest` is advertised: a REST worker registers, and its segments run there.
  const worker = await startWorkerProcess(t, {
    pipelines: [RESTAURANT],
    coordinatorUrl: coordinator.baseUrl,
  });
  await waitForWorkerState(coordinator, worker.workerId, 'HEALTHY');
  // The advertised payload encoding is accepted; the envelope encoding (a whole envelope's) is not a payload's.
  const [encoding] = info.protocols.payloadEncodings as string[];
  const submitted = await submitEncoded(api, encoding ?? '');
  assert.equal(submitted.status, 200, JSON.stringify(submitted.body));
  await parkedAtDecision(api, submitted.body.executionId);
  assert.ok(await ranOn(worker, submitted.body.executionId), 'the REST worker ran it');
  const refused = await submitEncoded(api, info.protocols.envelopeEncoding);
  assert.equal(refused.status, 400);
  assert.equal(refused.body.error.code, 'invalid_payload_envelope');

  // `capstan cluster` prints the same.
  const printed = ok(
    await runCapstan({ ...process.env, CAPSTAN_URL: coordinator.baseUrl, CAPSTAN_TOKEN: OPERATOR_TOKEN }, [
      'cluster',
    ]),
  );
  assert.match(printed, /^shape\s+single-node$/m);
  assert.match(printed, /^worker protocols\s+rest, pull$/m);
  assert.match(printed, /^warning\s+single_writer: /m);
});

test('PostgreSQL, in-process worker: cluster, and the in-process and pull protocols it advertises work', async (t) => {
  const url = await postgresUrl();
  const coordinator = await startCoordinatorProcess(t, {
    pipelines: [RESTAURANT],
    env: {
      PIPELINE_ORCHESTRATOR_STATE_PROVIDER: 'postgres',
      PIPELINE_ORCHESTRATOR_POSTGRES_URL: url,
      PIPELINE_ORCHESTRATOR_POSTGRES_SCHEMA: freshSchema(t, url, 'capstan_info'),
      TEST_WORKER_TOKEN: WORKER_TOKEN,
      PIPELINE_ORCHESTRATOR_WORKER_TOKEN_REF: 'env:TEST_WORKER_TOKEN',
    },
  });
  const api = apiClient(coordinator.baseUrl);
  const info = (await api.call('GET', '/api/cluster/info')).body;

  assert.deepEqual(info.protocols.workerProtocols, ['local', 'pull']);
  assert.equal(info.topology.currentShape, 'cluster');
  assert.equal(info.topology.executionMode, 'in-process-and-remote');
  assert.equal(info.topology.matchingRole.wakeOwner, 'store-notifications');
  assert.equal(info.backend.provider, 'postgres');
  assert.deepEqual(info.backend.capabilities, {
    sharedByNodes: true,
    concurrentWriters: true,
    crossNodeWakeups: true,
    skipLockedClaims: true,
    onlineBackup: false,
    durableCommits: true,
  });
  assert.deepEqual(info.backend.warnings, []);

  // `local`: an order runs in this process.
  const submitted = await submitEncoded(api, (info.protocols.payloadEncodings as string[])[0] ?? '');
  assert.equal(submitted.status, 200, JSON.stringify(submitted.body));
  await parkedAtDecision(api, submitted.body.executionId);
  // `pull`: a pull worker registers and polls.
  const pull = pullApi(apiClient(coordinator.baseUrl, WORKER_TOKEN), 'puller');
  await pull.register(apiClient(coordinator.baseUrl, ADMIN_TOKEN), 'restaurant-approval');
  const polled = await pull.poll(1, 0);
  assert.equal(polled.status, 200, JSON.stringify(polled.body));
  assert.ok(Array.isArray(polled.body.segments));
});

test('what a node does not serve, it does not advertise', async (t) => {
  const app = await apiServer(t, { adminEnabled: false, controlPlaneEnabled: false });
  const answer = await app.inject({
    method: 'GET',
    url: '/api/cluster/info',
    headers: { authorization: `Bearer ${OPERATOR_TOKEN}` },
  });
  assert.equal(answer.statusCode, 200, answer.body);
  const info = answer.json();
  assert.deepEqual(info.protocols.workerProtocols, ['local'], 'no worker routes: no pull');
  assert.deepEqual(info.protocols.awaitTransports, [], 'no control plane: no inbox');
  assert.equal(info.topology.taskDispatchMode, 'push');
  assert.equal(info.topology.executionMode, 'in-process');
  assert.ok(!info.roles.includes('admin') && !info.roles.includes('control-plane'), info.roles.join());
  assert.equal(info.capabilities.awaitInbox, false);
  const poll = await app.inject({
    method: 'POST',
    url: '/tpf/admin/tenants/default/workers/w/segments/poll',
    headers: { authorization: `Bearer ${WORKER_TOKEN}` },
    payload: { max: 1, waitMs: 0 },
  });
  assert.notEqual(poll.statusCode, 200, 'and the pull API is indeed not served');
});
