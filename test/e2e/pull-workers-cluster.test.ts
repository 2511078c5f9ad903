/**
 * Pull workers against two coordinator nodes on one PostgreSQL schema: a worker's poll held
 * on node A is woken by node B's submit (LISTEN/NOTIFY), and the segment it got on A is
 * heartbeated and completed on B. No call needs the node another call went to.
 */
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { freshSchema, journalOf, startNode, type ClusterNode } from '../support/cluster.ts';
import { ADMIN_TOKEN, apiClient } from '../support/coordinator-process.ts';
import { eventually } from '../support/eventually.ts';
import { postgresUrl } from '../support/postgres-server.ts';
import { parsePrometheusText, sumOf } from '../support/prometheus-text.ts';
import { pullApi, resultOfSlowCharge } from '../support/pull-api.ts';
import { remoteCoordinatorEnv, startPullWorkerProcess, WORKER_TOKEN } from '../support/worker-process.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const SLOW = join(ROOT, 'test/fixtures/slow-pipeline/pipeline.ts');

async function metricsOf(node: ClusterNode) {
  const scraped = await fetch(`${node.baseUrl}/metrics`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  assert.equal(scraped.status, 200);
  return parsePrometheusText(await scraped.text());
}

test('a pull worker polling node A is woken by a submit on node B and completes on node B', async (t) => {
  const url = await postgresUrl();
  const schema = freshSchema(t, url);
  // Node A's passes are rare, so only a NOTIFY can wake a poll held there within the test.
  const a = await startNode(t, {
    url,
    schema,
    nodeId: 'node-a',
    pipelines: [SLOW],
    env: remoteCoordinatorEnv({ PIPELINE_ORCHESTRATOR_SWEEP_INTERVAL: 'PT60S' }),
  });
  const b = await startNode(t, {
    url,
    schema,
    nodeId: 'node-b',
    pipelines: [SLOW],
    env: remoteCoordinatorEnv(),
  });
  const onA = pullApi(apiClient(a.baseUrl, WORKER_TOKEN), 'puller');
  const onB = pullApi(apiClient(b.baseUrl, WORKER_TOKEN), 'puller');
  await onA.register(apiClient(a.baseUrl, ADMIN_TOKEN), 'slow-charge');

  // Node B admits work once it has heard of the worker registered on node A.
  const first = await eventually('node B to admit work for the pull worker', async () => {
    const submitted = await b.api.submit({ pipelineId: 'slow-charge', input: { n: 1 } });
    return submitted.status === 200 ? (submitted.body.executionId as string) : undefined;
  });
  const due = await onA.poll(1, 0);
  assert.deepEqual(
    due.body.segments.map((s: { executionId: string }) => s.executionId),
    [first],
    'work already due is claimed at once',
  );
  const firstDone = await onB.complete(first, due.body.segments[0].leaseEpoch, resultOfSlowCharge(1));
  assert.equal(firstDone.status, 200, JSON.stringify(firstDone.body));

  // A poll that waits on node A, then a submit on node B.
  const waiting = onA.poll(1, 60_000);
  await eventually('the poll to wait on node A', async () =>
    sumOf(await metricsOf(a), 'capstan_pull_polls_waiting') === 1 ? true : undefined,
  );
  const second = (await b.api.submit({ pipelineId: 'slow-charge', input: { n: 2 } })).body
    .executionId as string;
  const woken = await waiting;
  assert.equal(woken.status, 200, JSON.stringify(woken.body));
  assert.deepEqual(
    woken.body.segments.map((s: { executionId: string }) => s.executionId),
    [second],
  );
  const samples = await metricsOf(a);
  assert.equal(
    sumOf(samples, 'capstan_pull_polls_total', { answer: 'segments', woken_by: 'notify' }),
    1,
    'node B’s NOTIFY woke the poll, not a timer',
  );
  assert.equal(sumOf(samples, 'capstan_pull_polls_total', { woken_by: 'deadline' }), 0);

  // The lease taken on node A is kept and completed on node B.
  const [segment] = woken.body.segments;
  const beat = await onB.heartbeat([{ executionId: second, leaseEpoch: segment.leaseEpoch }]);
  assert.equal(beat.body.leases[0].held, true, JSON.stringify(beat.body));
  const stale = await onB.complete(second, segment.leaseEpoch - 1, resultOfSlowCharge(2));
  assert.equal(stale.status, 409);
  assert.equal(stale.body.error.code, 'lease_epoch_stale');
  const done = await onB.complete(second, segment.leaseEpoch, resultOfSlowCharge(2));
  assert.equal(done.status, 200, JSON.stringify(done.body));
  assert.equal(done.body.status, 'SUCCEEDED');
  const seenOnA = await a.api.result(second);
  assert.equal(seenOnA.body.status.status, 'SUCCEEDED', 'node A sees the completion made on node B');
  assert.deepEqual(seenOnA.body.result, { n: 2, chargedBy: 7 });
});

test('a capstan worker --pull process pulling from node A runs what node B admits', async (t) => {
  const url = await postgresUrl();
  const schema = freshSchema(t, url);
  const a = await startNode(t, {
    url,
    schema,
    nodeId: 'node-a',
    pipelines: [SLOW],
    env: remoteCoordinatorEnv(),
  });
  const b = await startNode(t, {
    url,
    schema,
    nodeId: 'node-b',
    pipelines: [SLOW],
    env: remoteCoordinatorEnv(),
  });
  const worker = await startPullWorkerProcess(t, {
    coordinatorUrl: a.baseUrl,
    pipelines: [SLOW],
    nodeId: 'pull-a',
    slots: 2,
    env: { CAPSTAN_TEST_SLOW_MS: '100' },
  });
  const ids: string[] = [];
  for (let n = 1; n <= 4; n++)
    ids.push(
      await eventually(`node B to admit execution ${n}`, async () => {
        const submitted = await b.api.submit({ pipelineId: 'slow-charge', input: { n } });
        return submitted.status === 200 ? (submitted.body.executionId as string) : undefined;
      }),
    );
  for (const id of ids) {
    const done = await b.api.result(id, 20_000);
    assert.equal(done.body.status.status, 'SUCCEEDED', JSON.stringify(done.body));
    assert.equal(done.body.result.chargedBy, worker.child.pid);
    const started = (await journalOf(b, id)).filter((e) => e.type === 'attempt_started');
    assert.deepEqual(
      started.map((e) => e.data.leaseOwner),
      ['pull:pull-a'],
      'claimed by the pull worker only: neither node pushed it anywhere',
    );
  }
});
