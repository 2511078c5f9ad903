/**
 * docs/runbooks.md, runbook 4 (database failover), rehearsed on PostgreSQL: a private primary
 * with a synchronous standby, two coordinator nodes on it, work acknowledged through both; the
 * primary fenced (stopped), the standby promoted, the nodes restarted one at a time on its URL.
 * The page's blocks run as written and their checks are asserted on what they printed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CLUSTER_PIPELINES, leaderSeenBy, startNode, type ClusterNode } from '../support/cluster.ts';
import { apiClient } from '../support/coordinator-process.ts';
import { eventually } from '../support/eventually.ts';
import { startPrivatePostgres, startStandby } from '../support/private-postgres.ts';
import { runOf, runRunbook } from '../support/runbook-blocks.ts';
import { cli, fieldsOf, operatorEnv, resultOf, rowsOf, tempDir } from '../support/runbook-output.ts';

const DOC = 'docs/runbooks.md';

test('runbook 4: PostgreSQL primary lost, standby promoted, nodes moved over; nothing acknowledged is lost', async (t) => {
  const primary = await startPrivatePostgres(t);
  const standby = await startStandby(primary, t);
  t.diagnostic(`primary on ${primary.port}, synchronous standby on ${standby.port} (${primary.source})`);
  const schema = 'capstan';
  const dir = tempDir(t);
  const node = (url: string, nodeId: string) =>
    startNode(t, { url, schema, nodeId, pipelines: [CLUSTER_PIPELINES] });
  let nodes: ClusterNode[] = await Promise.all([node(primary.url, 'node-a'), node(primary.url, 'node-b')]);

  // Work acknowledged through both nodes before the primary is lost.
  const acknowledged: string[] = [];
  for (let i = 0; i < 20; i++) {
    const through = nodes[i % 2] as ClusterNode;
    const r = await through.api.submit({
      pipelineId: 'cluster-quick',
      input: { n: i },
      idempotencyKey: `before-${i}`,
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    acknowledged.push(r.body.executionId as string);
  }

  const readiness = async (n: ClusterNode) =>
    (await apiClient(n.baseUrl, null).call('GET', '/api/ready')).status;

  // Step 1: fence the old primary (stopped). Step 2: every node reports it.
  await primary.stop();
  await Promise.all(
    nodes.map(async (n) => {
      await eventually(`${n.nodeId} not ready`, async () =>
        (await readiness(n)) === 503 ? true : undefined,
      );
      const runs = await runRunbook(
        DOC,
        'failover-outage',
        { NODE_URL: n.baseUrl },
        cli(operatorEnv(dir, n.baseUrl)),
        {
          expectFailure: true,
        },
      );
      assert.deepEqual([runOf(runs, 'health').code, runOf(runs, 'health').stdout.trim()], [0, 'UP']);
      const ready = runOf(runs, 'ready');
      assert.equal(ready.code, 7, ready.stdout);
      assert.match(ready.stdout, /^DOWN$/m);
      assert.match(ready.stdout, /^database\s+DOWN$/m);
      assert.match(ready.stderr, /^error not_ready: /);
    }),
  );
  const refused = await (nodes[0] as ClusterNode).api.submit({
    pipelineId: 'cluster-quick',
    input: { n: -1 },
    idempotencyKey: 'during',
  });
  assert.deepEqual([refused.status, refused.body.error.code], [503, 'store_unavailable']);
  const read = await (nodes[1] as ClusterNode).api.status(acknowledged[0] as string);
  assert.deepEqual([read.status, read.body.error.code], [503, 'store_unavailable']);

  // Step 3: promote. Step 4: restart the nodes one at a time on the new primary's URL.
  await standby.promote();
  const moved: ClusterNode[] = [];
  for (const old of nodes) {
    await old.kill('SIGTERM');
    const fresh = await node(standby.url, old.nodeId);
    moved.push(fresh);
    await eventually(`${fresh.nodeId} ready`, async () =>
      (await readiness(fresh)) === 200 ? true : undefined,
    );
  }
  nodes = moved;
  // Step 5: every node ready, in the cluster, and seeing the same leader.
  await eventually('one leader seen by every node', async () => {
    const seen = await Promise.all(nodes.map((n) => leaderSeenBy(n)));
    return seen.every((l) => l && l.nodeId === seen[0]?.nodeId) ? true : undefined;
  });
  const checked = await Promise.all(
    nodes.map((n) =>
      runRunbook(DOC, 'failover-node', { NODE_URL: n.baseUrl }, cli(operatorEnv(dir, n.baseUrl))),
    ),
  );
  const leaders = checked.map((runs) => {
    const ready = runOf(runs, 'ready').stdout;
    assert.match(ready, /^UP$/m);
    assert.doesNotMatch(ready, /DOWN/);
    const cluster = fieldsOf(runOf(runs, 'cluster').stdout);
    assert.equal(cluster.get('store'), 'postgres (shared)');
    return cluster.get('leader')?.split(' ')[0];
  });
  assert.ok(leaders[0] && leaders.every((l) => l === leaders[0]), `one leader: ${leaders.join(', ')}`);
  const env = operatorEnv(dir, (nodes[0] as ClusterNode).baseUrl);
  await eventually('every node live and ready', async () => {
    const listed = (await (nodes[0] as ClusterNode).api.call('GET', '/api/cluster/nodes')).body?.nodes as
      { state: string; ready: boolean }[] | undefined;
    return listed?.length === 2 && listed.every((n) => n.state === 'live' && n.ready) ? true : undefined;
  });
  const [clusterNodes] = await runRunbook(DOC, 'failover-cluster', {}, cli(env));
  const listed = rowsOf(clusterNodes?.stdout ?? '');
  assert.deepEqual(
    listed.map((row) => [row.STATE, row.READY]),
    [
      ['live', 'yes'],
      ['live', 'yes'],
    ],
  );
  assert.deepEqual(
    listed.filter((row) => row.LEADER === 'leader').map((row) => row.NODE?.split(' ')[0]),
    [leaders[0]],
  );

  // Step 6: every acknowledged execution is there and succeeds (polled over the API, the page's
  // checks run on the last one); none is left in progress.
  const reader = nodes[1] as ClusterNode;
  for (const id of acknowledged) {
    await eventually(`${id} to succeed`, async () => {
      const r = await reader.api.result(id, 2000);
      return r.body?.status?.status === 'SUCCEEDED' ? true : undefined;
    });
  }
  const last = acknowledged.at(-1) as string;
  const verify = await runRunbook(DOC, 'failover-verify', { EXECUTION_ID: last }, cli(env));
  assert.equal(fieldsOf(runOf(verify, 'status').stdout).get('execution'), last);
  resultOf(runOf(verify, 'result'), last);
  assert.equal(runOf(verify, 'list').stdout.trim(), '(none)');
  // The write refused during the outage was never stored: its key is free.
  const retried = await reader.api.submit({
    pipelineId: 'cluster-quick',
    input: { n: -1 },
    idempotencyKey: 'during',
  });
  assert.deepEqual([retried.status, retried.body.duplicate], [200, false]);
});
