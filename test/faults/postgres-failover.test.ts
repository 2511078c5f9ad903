import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { apiClient } from '../support/coordinator-process.ts';
import { CLUSTER_PIPELINES, eventually, startNode, type ClusterNode } from '../support/cluster.ts';
import { until } from '../support/eventually.ts';
import { startPrivatePostgres } from '../support/private-postgres.ts';

// The database goes away under load and comes back: the seeds' HA contract. While it is down
// writes are refused with a code (never buffered, never acknowledged), readiness fails on
// every node, and afterwards every acknowledged execution completes.

const readiness = async (node: ClusterNode) =>
  (await apiClient(node.baseUrl, null).call('GET', '/api/ready')).status;

test('PostgreSQL stops under load: 503 store_unavailable, readiness fails and recovers, nothing acknowledged is lost', async (t) => {
  const database = await startPrivatePostgres(t);
  t.diagnostic(`private PostgreSQL (${database.source}) on port ${database.port}`);
  const nodes = await Promise.all(
    ['node-a', 'node-b'].map((nodeId) =>
      startNode(t, { url: database.url, schema: 'capstan', nodeId, pipelines: [CLUSTER_PIPELINES] }),
    ),
  );

  const acknowledged = new Map<string, string>();
  const refusals = new Map<string, number>();
  let loading = true;
  const load = nodes.map(async (node, n) => {
    for (let i = 0; loading; i++) {
      const idempotencyKey = `${node.nodeId}-${i}`;
      const response = await node.api
        .submit({ pipelineId: 'cluster-quick', input: { n: i }, idempotencyKey })
        .catch((error: unknown) => ({ status: 0, body: { error: { code: String(error) } } }));
      if (response.status === 200) acknowledged.set(idempotencyKey, response.body.executionId as string);
      else {
        const what = `${response.status} ${response.body?.error?.code}`;
        refusals.set(what, (refusals.get(what) ?? 0) + 1);
      }
      await sleep(10 + n);
    }
  });

  await until('load acknowledged before the stop', () => acknowledged.size >= 20);
  const beforeStop = acknowledged.size;
  await database.stop();
  await Promise.all(
    nodes.map((node) =>
      eventually(`${node.nodeId} not ready`, async () =>
        (await readiness(node)) === 503 ? true : undefined,
      ),
    ),
  );
  const write = await (nodes[0] as ClusterNode).api.submit({
    pipelineId: 'cluster-quick',
    input: { n: -1 },
    idempotencyKey: 'while-down',
  });
  assert.equal(write.status, 503, JSON.stringify(write.body));
  assert.equal(write.body.error.code, 'store_unavailable');
  const duringOutage = acknowledged.size;
  // The load keeps trying through the outage: every one of a few dozen tries is refused.
  const refused = () => [...refusals.values()].reduce((a, b) => a + b, 0);
  const refusedAtStop = refused();
  await until('submits refused during the outage', () => refused() >= refusedAtStop + 30);
  assert.equal(acknowledged.size, duringOutage, 'nothing is acknowledged while the database is down');

  await database.start();
  await Promise.all(
    nodes.map((node) =>
      eventually(`${node.nodeId} ready again`, async () =>
        (await readiness(node)) === 200 ? true : undefined,
      ),
    ),
  );
  await until('load acknowledged after the restart', () => acknowledged.size >= duringOutage + 20);
  loading = false;
  await Promise.all(load);
  t.diagnostic(
    `acknowledged ${acknowledged.size} (${beforeStop} before the stop); refused ${JSON.stringify(Object.fromEntries(refusals))}`,
  );

  assert.ok(beforeStop > 0 && acknowledged.size > duringOutage, 'load ran before and after the outage');
  for (const refusal of refusals.keys())
    assert.equal(refusal, '503 store_unavailable', 'every refusal is a 503 with its code');
  const reader = nodes[1] as ClusterNode;
  for (const executionId of acknowledged.values()) {
    await eventually(`${executionId} to succeed`, async () => {
      const result = await reader.api.result(executionId, 2000);
      return result.body?.status?.status === 'SUCCEEDED' ? true : undefined;
    });
  }
  // The refused write was never stored: its key is free.
  const retried = await reader.api.submit({
    pipelineId: 'cluster-quick',
    input: { n: -1 },
    idempotencyKey: 'while-down',
  });
  assert.equal(retried.status, 200);
  assert.equal(retried.body.duplicate, false);
});
