/**
 * Queue workers over real brokers (NATS JetStream, RabbitMQ, an SQS server on loopback) and real processes: coordinators
 * put signed segment requests on a worker group's queue, `capstan worker --queue` runs them
 * and replies on the one reply destination every node shares, addressed to the node that asked.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { brokerKinds } from '../support/await-brokers.ts';
import { CLUSTER_PIPELINES, freshSchema, startNode, type ClusterNode } from '../support/cluster.ts';
import { apiClient, startCoordinatorProcess } from '../support/coordinator-process.ts';
import { eventually } from '../support/eventually.ts';
import { postgresUrl } from '../support/postgres-server.ts';
import { logRecords, queueCoordinatorEnv, queueNames, startQueueWorker } from '../support/queue-workers.ts';
import { waitForWorkerState } from '../support/worker-routing.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const SLOW_PIPELINE = join(ROOT, 'test/fixtures/slow-pipeline/pipeline.ts');
const REPLY_RECEIVED = 'queue worker reply received';
const REPLY_UNWANTED = 'queue worker reply for no waiting call; dropped';

async function succeeded(api: ReturnType<typeof apiClient>, executionId: string): Promise<unknown> {
  const result = await api.result(executionId, 20_000);
  assert.equal(result.status, 200, JSON.stringify(result.body));
  assert.equal(result.body.status.status, 'SUCCEEDED', JSON.stringify(result.body));
  return result.body.result;
}

for (const broker of brokerKinds) {
  test(`${broker}: a coordinator on SQLite and a queue worker process run pipelines to SUCCEEDED`, async (t) => {
    const nodeId = `queue-solo-${broker}`;
    const names = await queueNames(t, broker, () => [nodeId]);
    const coordinator = await startCoordinatorProcess(t, {
      pipelines: [CLUSTER_PIPELINES],
      env: queueCoordinatorEnv(names, { CAPSTAN_NODE_ID: nodeId }),
    });
    const worker = await startQueueWorker(t, {
      names,
      pipelines: [CLUSTER_PIPELINES],
      coordinatorUrl: coordinator.baseUrl,
      nodeId: `worker-${broker}`,
    });
    const registered = await waitForWorkerState(coordinator, `worker-${broker}`, 'HEALTHY', 'cluster-quick');
    assert.equal(registered.protocol, 'queue');
    assert.equal(registered.endpoint, names.group, 'a queue worker registers its request queue');

    const api = apiClient(coordinator.baseUrl);
    const ids: string[] = [];
    for (let n = 0; n < 3; n++) {
      const submitted = await api.submit({ pipelineId: 'cluster-quick', input: { n } });
      assert.equal(submitted.status, 200, JSON.stringify(submitted.body));
      ids.push(submitted.body.executionId as string);
    }
    for (const [n, id] of ids.entries()) assert.deepEqual(await succeeded(api, id), { n: n + 2 });
    const ran = logRecords(worker.stdout(), 'transition').map((r) => r.executionId);
    for (const id of ids) assert.ok(ran.includes(id), `${id} ran on the queue worker`);
  });

  test(`${broker}: two coordinator nodes on PostgreSQL share one reply destination; each reply reaches the node that sent its request`, async (t) => {
    const url = await postgresUrl();
    const schema = freshSchema(t, url);
    const nodeIds = [`queue-a-${broker}`, `queue-b-${broker}`];
    const names = await queueNames(t, broker, () => nodeIds);
    const nodes: ClusterNode[] = [];
    for (const nodeId of nodeIds)
      nodes.push(
        await startNode(t, {
          url,
          schema,
          nodeId,
          pipelines: [CLUSTER_PIPELINES],
          env: queueCoordinatorEnv(names),
        }),
      );
    const [a, b] = nodes;
    if (!a || !b) throw new Error('two nodes');
    const worker = await startQueueWorker(t, {
      names,
      pipelines: [CLUSTER_PIPELINES],
      coordinatorUrl: a.baseUrl,
      nodeId: `worker-${broker}`,
    });
    for (const node of nodes) await waitForWorkerState(node, `worker-${broker}`, 'HEALTHY', 'cluster-quick');

    // Submitted through both nodes, in turn: each node dispatches some of them.
    const ids: string[] = [];
    for (let n = 0; n < 8; n++) {
      const node: ClusterNode = n % 2 === 0 ? a : b;
      const submitted = await node.api.submit({ pipelineId: 'cluster-quick', input: { n } });
      assert.equal(submitted.status, 200, JSON.stringify(submitted.body));
      ids.push(submitted.body.executionId as string);
    }
    for (const [n, id] of ids.entries()) assert.deepEqual(await succeeded(a.api, id), { n: n + 2 });

    // Where the worker sent each execution's reply: the node its request named.
    const repliedTo = new Map(
      logRecords(worker.stdout(), 'transition').map((r) => [r.executionId as string, r.replyTo as string]),
    );
    const receivedBy = (node: (typeof nodes)[number]) =>
      new Set(logRecords(node.stdout(), REPLY_RECEIVED).map((r) => r.executionId as string));
    await eventually('every reply at its node', () => {
      const got = nodes.map(receivedBy);
      for (const id of ids) {
        const target = repliedTo.get(id);
        assert.ok(target && nodeIds.includes(target), `${id} was answered to a node (${String(target)})`);
        const holders = nodeIds.filter((_, i) => got[i]?.has(id));
        assert.deepEqual(holders, [target], `${id}'s reply reached ${target} and no other node`);
      }
      return true;
    });
    for (const node of nodes) {
      assert.ok(receivedBy(node).size > 0, `${node.nodeId} dispatched some and got their replies`);
      assert.deepEqual(
        logRecords(node.stdout(), REPLY_UNWANTED),
        [],
        'no node got a reply it did not wait for',
      );
    }
  });

  test(`${broker}: a queue worker killed mid-segment: another worker of the group takes over and the execution completes once`, async (t) => {
    const nodeId = `queue-kill-${broker}`;
    const names = await queueNames(t, broker, () => [nodeId]);
    const dir = mkdtempSync(join(tmpdir(), 'capstan-queue-kill-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const stepLog = join(dir, 'steps.log');
    const coordinator = await startCoordinatorProcess(t, {
      pipelines: [SLOW_PIPELINE],
      env: queueCoordinatorEnv(names, {
        CAPSTAN_NODE_ID: nodeId,
        // The reply wait outlasts the slow step; NATS hands an unacknowledged request on later still.
        PIPELINE_ORCHESTRATOR_WORKER_QUEUE_REQUEST_TIMEOUT: 'PT6S',
        PIPELINE_ORCHESTRATOR_RETRY_DELAY: 'PT0.5S',
      }),
    });
    const workerEnv = {
      CAPSTAN_TEST_STEP_LOG: stepLog,
      CAPSTAN_TEST_SLOW_MS: '2000',
      PIPELINE_ORCHESTRATOR_WORKER_QUEUE_ACK_WAIT: 'PT8S',
    };
    const doomed = await startQueueWorker(t, {
      names,
      pipelines: [SLOW_PIPELINE],
      coordinatorUrl: coordinator.baseUrl,
      nodeId: `doomed-${broker}`,
      env: workerEnv,
    });
    await waitForWorkerState(coordinator, `doomed-${broker}`, 'HEALTHY', 'slow-charge');
    const api = apiClient(coordinator.baseUrl);
    const submitted = await api.submit({ pipelineId: 'slow-charge', input: { n: 7 } });
    assert.equal(submitted.status, 200, JSON.stringify(submitted.body));
    const id = submitted.body.executionId as string;
    const lines = () =>
      (() => {
        try {
          return readFileSync(stepLog, 'utf8');
        } catch {
          return '';
        }
      })()
        .split('\n')
        .filter((l) => l.startsWith(id))
        .map((l) => l.split(' '));
    // Killed inside the slow step: its request was taken and never acknowledged.
    await eventually('the slow step under way', () =>
      lines().some(([, step]) => step === '1') ? true : undefined,
    );
    await doomed.kill('SIGKILL');
    const successor = await startQueueWorker(t, {
      names,
      pipelines: [SLOW_PIPELINE],
      coordinatorUrl: coordinator.baseUrl,
      nodeId: `successor-${broker}`,
      env: workerEnv,
    });
    const result = (await succeeded(api, id)) as { chargedBy: number };
    assert.equal(result.chargedBy, successor.child.pid, 'the successor finished the segment');
    const finished = lines().filter(([, step]) => step === '2');
    assert.equal(finished.length, 1, 'the last step ran once');
    const history = await api.call(
      'GET',
      `/tpf/control-plane/tenants/default/executions/${id}/history?afterSeq=0&limit=500`,
    );
    const events = history.body.events as { type: string; data: { stepIndex?: number } }[];
    assert.equal(events.filter((e) => e.type === 'succeeded').length, 1, 'one completion');
    const committed = events.filter((e) => e.type === 'step_completed').map((e) => e.data.stepIndex);
    assert.equal(
      new Set(committed).size,
      committed.length,
      `no step committed twice: ${committed.join(',')}`,
    );
  });
}
