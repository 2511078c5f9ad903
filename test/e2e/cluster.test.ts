import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { postgresUrl } from '../support/postgres-server.ts';
import { newOrder } from '../support/restaurant-order.ts';
import {
  CLUSTER_PIPELINES,
  eventually,
  freshSchema,
  journalOf,
  RESTAURANT_PIPELINE,
  startNode,
  type ClusterNode,
  type JournalEvent,
} from '../support/cluster.ts';

// Several coordinator processes on one PostgreSQL schema, as an operator runs a small cluster.

const count = (events: readonly JournalEvent[], type: string) => events.filter((e) => e.type === type).length;

/** No step of the execution was committed twice: one `step_completed` per step index at most. */
function assertEachStepOnce(events: readonly JournalEvent[], executionId: string): void {
  const steps = events.filter((e) => e.type === 'step_completed').map((e) => Number(e.data.stepIndex));
  assert.equal(
    new Set(steps).size,
    steps.length,
    `${executionId} committed a step twice: ${steps.join(',')}`,
  );
}

async function settled(node: ClusterNode, executionId: string, wanted: string): Promise<void> {
  await eventually(`${executionId} to be ${wanted} on ${node.nodeId}`, async () => {
    const result = await node.api.result(executionId, 2000);
    return result.body?.status?.status === wanted ? true : undefined;
  });
}

function stepLog(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-cluster-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'steps.log');
}

/**
 * Three nodes on a fresh schema, started at once: their migrations serialise on an advisory
 * lock. Each writes the steps it runs to the returned log.
 */
async function threeNodes(t: TestContext, pipeline: string, env: Record<string, string> = {}) {
  const url = await postgresUrl();
  const schema = freshSchema(t, url);
  const log = stepLog(t);
  const nodes = await Promise.all(
    ['node-a', 'node-b', 'node-c'].map((nodeId) =>
      startNode(t, {
        url,
        schema,
        nodeId,
        pipelines: [pipeline],
        env: { CAPSTAN_TEST_STEP_LOG: log, ...env },
      }),
    ),
  );
  return { nodes, log };
}

test('three nodes, no sticky sessions: submit on A, complete on B, read the result on C', async (t) => {
  const { nodes } = await threeNodes(t, RESTAURANT_PIPELINE);
  const at = (i: number) => nodes[i % nodes.length] as ClusterNode;

  const submitted = await Promise.all(
    Array.from({ length: 12 }, async (_, i) => {
      const response = await at(i).api.submit({ pipelineId: 'restaurant-approval', input: newOrder() });
      assert.equal(response.status, 200, JSON.stringify(response.body));
      return response.body.executionId as string;
    }),
  );

  await Promise.all(
    submitted.map(async (executionId, i) => {
      const b = at(i + 1);
      await settled(b, executionId, 'WAITING_EXTERNAL');
      const pending = await b.api.pending('?stepId=await-restaurant-decision&limit=1000');
      const interaction = (
        pending.body as { executionId: string; interactionId: string; requestPayload: { orderId: string } }[]
      ).find((p) => p.executionId === executionId);
      assert.ok(interaction, `${executionId} is in the inbox of ${b.nodeId}`);
      const completed = await b.api.complete({
        interactionId: interaction.interactionId,
        response: {
          accepted: { orderId: interaction.requestPayload.orderId, decidedAt: new Date().toISOString() },
        },
      });
      assert.equal(completed.status, 200, JSON.stringify(completed.body));
      await settled(at(i + 2), executionId, 'SUCCEEDED');
    }),
  );

  for (const executionId of submitted) {
    const events = await journalOf(at(0), executionId);
    assert.equal(count(events, 'succeeded'), 1, `${executionId} ended exactly once`);
    assert.equal(count(events, 'suspended'), 1, `${executionId} parked exactly once`);
    assertEachStepOnce(events, executionId);
  }

  // Every node sees the same single maintenance leader and knows itself.
  const infos = await Promise.all(nodes.map((n) => n.api.call('GET', '/api/cluster/info')));
  const leaders = new Set(
    infos.map((i) => `${i.body.maintenance.leader?.nodeId}#${i.body.maintenance.leader?.epoch}`),
  );
  assert.equal(leaders.size, 1, `one leader seen by all: ${[...leaders].join(', ')}`);
  infos.forEach((info, i) => {
    assert.equal(info.status, 200);
    assert.equal(info.body.nodeId, at(i).nodeId);
    assert.equal(info.body.store.provider, 'postgres');
  });
  assert.equal(infos.filter((i) => (i.body.roles as string[]).includes('maintenance-leader')).length, 1);
});

test('contention: three nodes claim at once, and every segment runs and commits once', async (t) => {
  // Leases long enough that no segment loses its lease under load: a rerun here is a double claim.
  const { nodes, log } = await threeNodes(t, CLUSTER_PIPELINES, { PIPELINE_ORCHESTRATOR_LEASE_MS: '30000' });

  const total = 90;
  const ids = await Promise.all(
    Array.from({ length: total }, async (_, i) => {
      const node = nodes[i % 3] as ClusterNode;
      const response = await node.api.submit({ pipelineId: 'cluster-quick', input: { n: i } });
      assert.equal(response.status, 200, JSON.stringify(response.body));
      return response.body.executionId as string;
    }),
  );
  await Promise.all(ids.map((id, i) => settled(nodes[(i + 1) % 3] as ClusterNode, id, 'SUCCEEDED')));

  const runs = readFileSync(log, 'utf8').trim().split('\n');
  const byStep = new Map<string, number>();
  const byNode = new Map<string, number>();
  for (const line of runs) {
    const [executionId, stepIndex, , nodeId] = line.split(' ');
    byStep.set(`${executionId}:${stepIndex}`, (byStep.get(`${executionId}:${stepIndex}`) ?? 0) + 1);
    byNode.set(String(nodeId), (byNode.get(String(nodeId)) ?? 0) + 1);
  }
  assert.equal(byStep.size, total * 2, 'every step of every execution ran');
  const twice = [...byStep].filter(([, n]) => n > 1);
  assert.deepEqual(twice, [], 'no step ran twice');
  t.diagnostic(`step runs per node: ${JSON.stringify(Object.fromEntries(byNode))}`);
  for (const id of ids) {
    const events = await journalOf(nodes[0] as ClusterNode, id);
    assert.equal(count(events, 'attempt_started'), 1, `${id} was claimed once`);
    assert.equal(count(events, 'succeeded'), 1);
    assertEachStepOnce(events, id);
  }
});

test('kill -9 the maintenance leader: another takes over, and deadlines and retries fire once', async (t) => {
  const { nodes } = await threeNodes(t, CLUSTER_PIPELINES);
  const first = await eventually('a leader', async () => {
    const info = await (nodes[0] as ClusterNode).api.call('GET', '/api/cluster/info');
    return (info.body?.maintenance?.leader as { nodeId: string; epoch: number } | null) ?? undefined;
  });
  const leader = nodes.find((n) => n.nodeId === first.nodeId);
  assert.ok(leader, `the leader ${first.nodeId} is one of the nodes`);
  const survivors = nodes.filter((n) => n !== leader);
  const survivor = survivors[0] as ClusterNode;

  // Work whose retries and deadlines the leader's death must not lose nor double.
  const submit = async (pipelineId: string, n: number) => {
    const response = await leader.api.submit({ pipelineId, input: { n } });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body.executionId as string;
  };
  const flaky = await Promise.all([0, 1, 2, 3, 4].map((n) => submit('cluster-flaky', n)));
  const expiring = await Promise.all([0, 1, 2, 3, 4].map((n) => submit('cluster-expiring', n)));

  const killedAt = Date.now();
  await leader.kill('SIGKILL');
  const next = await eventually('a new leader', async () => {
    const info = await survivor.api.call('GET', '/api/cluster/info');
    const seen = info.body?.maintenance?.leader as { nodeId: string; epoch: number } | null;
    return seen && seen.nodeId !== leader.nodeId ? seen : undefined;
  });
  t.diagnostic(
    `leadership moved from ${leader.nodeId} to ${next.nodeId} ${Date.now() - killedAt} ms after kill -9 (lease PT2S)`,
  );
  assert.ok(next.epoch > first.epoch, 'the new leader holds a newer epoch');
  assert.ok(survivors.some((n) => n.nodeId === next.nodeId));

  await Promise.all(flaky.map((id) => settled(survivor, id, 'SUCCEEDED')));
  await Promise.all(expiring.map((id) => settled(survivor, id, 'DLQ')));
  for (const id of flaky) {
    const events = await journalOf(survivor, id);
    assert.ok(count(events, 'retry_scheduled') >= 1, `${id}: the retry fired`);
    assert.equal(count(events, 'succeeded'), 1, `${id} succeeded once`);
    assertEachStepOnce(events, id);
  }
  for (const id of expiring) {
    const events = await journalOf(survivor, id);
    const dlq = events.filter((e) => e.type === 'moved_to_dlq');
    assert.equal(dlq.length, 1, `${id}: the deadline fired once`);
    assert.equal(dlq[0]?.data.reason, 'await_timeout');
  }
});
