/**
 * The small cluster of deploy/ run as processes on loopback, on the configuration the files
 * carry: the migration Job's `capstan migrate`, one coordinator configured as compose.cluster.yaml
 * configures `capstan-1`, one as the Kubernetes Deployment configures its pods, and the worker
 * Deployment's pull worker. Only what cannot be the same on one machine is overridden: addresses
 * and ports, the data directory, the database URL and a schema of the test's own. The secrets
 * are the test's.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { runCapstan } from '../support/cli-run.ts';
import { journalOf, leaderSeenBy, type ClusterNode } from '../support/cluster.ts';
import {
  ADMIN_TOKEN,
  apiClient,
  OPERATOR_TOKEN,
  startCoordinatorProcess,
} from '../support/coordinator-process.ts';
import { deployedCluster, type DeployedProcess } from '../support/deploy/deployed-processes.ts';
import { ROOT } from '../support/deploy/files.ts';
import { eventually } from '../support/eventually.ts';
import { freshSchema } from '../support/fresh-schema.ts';
import { postgresUrl } from '../support/postgres-server.ts';
import { newOrder } from '../support/restaurant-order.ts';
import { spawnProcess } from '../support/spawned-process.ts';
import { WORKER_SECRET, WORKER_TOKEN } from '../support/worker-process.ts';

function dataDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-deploy-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** `serve` with the pipelines the deployment gives it; `capstan serve` is the process's command. */
function servedPipelines(process: DeployedProcess): string[] {
  const [command, flag, ...pipelines] = process.args;
  assert.equal(command, 'serve');
  assert.equal(flag, '--pipelines');
  return pipelines;
}

async function startNode(
  t: TestContext,
  deployed: DeployedProcess,
  overrides: Record<string, string>,
): Promise<ClusterNode> {
  // `--host 127.0.0.1 --port 0 --data-dir <tmp>` are given as flags by the helper.
  const started = await startCoordinatorProcess(t, {
    pipelines: servedPipelines(deployed),
    env: { ...deployed.env, ...overrides },
  });
  const nodeId = deployed.env.CAPSTAN_NODE_ID ?? '';
  return { ...started, nodeId, api: apiClient(started.baseUrl) };
}

test('the deployed cluster runs on loopback: migrate, two coordinators, a pull worker; one leader; an order completes', async (t) => {
  const url = await postgresUrl();
  const schema = freshSchema(t, url, 'capstan_deploy');
  const deployed = deployedCluster(
    {
      // deploy/.env and the Secret, with the test's values.
      CAPSTAN_POSTGRES_PASSWORD: 'not-used-the-url-is-overridden',
      CAPSTAN_POSTGRES_URL: url,
      CAPSTAN_TOKEN: OPERATOR_TOKEN,
      CAPSTAN_ADMIN_TOKEN: ADMIN_TOKEN,
      CAPSTAN_WORKER_TOKEN: WORKER_TOKEN,
      CAPSTAN_WORKER_SECRET: WORKER_SECRET,
    },
    (role) => `capstan-${role}-0`,
  );
  // What differs on one machine: the database (the test's URL and a schema of its own) and the
  // data directory; the coordinators' address and port are flags of the helper, the worker's
  // coordinator URL is set below.
  const database = { CAPSTAN_POSTGRES_URL: url, PIPELINE_ORCHESTRATOR_POSTGRES_SCHEMA: schema };
  const local = () => ({ ...database, CAPSTAN_DATA_DIR: dataDir(t) });

  // The migration Job, first: the coordinators do not migrate (migrate-on-start=false).
  assert.deepEqual(deployed.migrate.args, ['migrate']);
  const migrated = await runCapstan(
    { ...process.env, ...deployed.migrate.env, ...local() },
    deployed.migrate.args,
  );
  assert.equal(migrated.code, 0, migrated.stderr);
  assert.match(migrated.stdout, /applied \d+ migration\(s\)/);

  const [fromCompose, fromKubernetes] = await Promise.all([
    startNode(t, deployed.composeNode, local()),
    startNode(t, deployed.kubernetesNode, local()),
  ]);
  assert.notEqual(fromCompose.nodeId, fromKubernetes.nodeId);

  // The worker Deployment's pull worker, pulling from the Kubernetes-configured node.
  const [command, ...workerArgs] = deployed.worker.args;
  assert.equal(command, 'worker');
  const worker = spawnProcess(process.execPath, [join(ROOT, 'bin/capstan.mjs'), 'worker', ...workerArgs], {
    cwd: ROOT,
    env: {
      ...process.env,
      ...deployed.worker.env,
      CAPSTAN_DATA_DIR: dataDir(t),
      CAPSTAN_PULL_URL: fromKubernetes.baseUrl,
    },
  });
  t.after(() => worker.kill('SIGKILL'));
  const [, workerId = ''] = await worker.waitFor(/worker (\S+) pulling from /, 'pull worker');
  assert.equal(workerId, deployed.worker.env.CAPSTAN_NODE_ID);

  for (const node of [fromCompose, fromKubernetes]) {
    const ready = await eventually(`${node.nodeId} to be ready`, async () => {
      const answer = await fetch(`${node.baseUrl}/api/ready`);
      return answer.status === 200 ? ((await answer.json()) as { status: string }) : undefined;
    });
    assert.equal(ready.status, 'UP');
  }

  // An order submitted on one node, decided on the other, run by the worker.
  const executionId = await eventually('the worker to be registered', async () => {
    const submitted = await fromCompose.api.submit({ pipelineId: 'restaurant-approval', input: newOrder() });
    return submitted.status === 200 ? (submitted.body.executionId as string) : undefined;
  });
  const parked = await fromKubernetes.api.result(executionId, 20_000);
  assert.equal(parked.body.status.status, 'WAITING_EXTERNAL', JSON.stringify(parked.body));
  const pending = await fromKubernetes.api.pending();
  const interaction = (
    pending.body as { interactionId: string; executionId: string; requestPayload: { orderId: string } }[]
  ).find((i) => i.executionId === executionId);
  assert.ok(interaction, JSON.stringify(pending.body));
  const completed = await fromKubernetes.api.complete({
    interactionId: interaction.interactionId,
    response: {
      accepted: {
        orderId: interaction.requestPayload.orderId,
        decidedAt: '2026-01-01T12:00:00Z',
        note: 'ok',
      },
    },
  });
  assert.equal(completed.status, 200, JSON.stringify(completed.body));
  const done = await fromCompose.api.result(executionId, 20_000);
  assert.equal(done.body.status.status, 'SUCCEEDED', JSON.stringify(done.body));
  assert.equal(done.body.result.outcome, 'APPROVED');
  const owners = (await journalOf(fromCompose, executionId))
    .filter((e) => e.type === 'attempt_started')
    .map((e) => e.data.leaseOwner);
  assert.deepEqual(
    owners,
    [`pull:${workerId}`, `pull:${workerId}`],
    'the worker ran both segments; no coordinator did',
  );

  // One maintenance leader, the same seen from both nodes.
  const leader = await eventually('both nodes to see one leader', async () => {
    const [a, b] = await Promise.all([leaderSeenBy(fromCompose), leaderSeenBy(fromKubernetes)]);
    return a && b && a.nodeId === b.nodeId && a.epoch === b.epoch ? a.nodeId : undefined;
  });
  assert.ok([fromCompose.nodeId, fromKubernetes.nodeId].includes(leader), leader);
  const leads = await Promise.all(
    [fromCompose, fromKubernetes].map(async (node) => {
      const info = await node.api.call('GET', '/api/cluster/info');
      return info.body.maintenance.thisNode.leader as boolean;
    }),
  );
  assert.deepEqual(leads.filter(Boolean).length, 1, JSON.stringify(leads));
});
