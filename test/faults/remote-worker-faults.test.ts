/**
 * Remote REST workers under faults, as separate processes: a worker killed mid-segment, a
 * segment longer than the lease, a worker the coordinator finds by base URL with a rotated
 * key, and calls that are not signed by a key holder.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { ADMIN_TOKEN, apiClient, startCoordinatorProcess } from '../support/coordinator-process.ts';
import { newOrder } from '../support/restaurant-order.ts';
import { remoteCoordinatorEnv, startWorkerProcess } from '../support/worker-process.ts';
import { eventually } from '../support/eventually.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const RESTAURANT = join(ROOT, 'examples/restaurant-approval/pipeline.ts');
const SLOW = join(ROOT, 'test/fixtures/slow-pipeline/pipeline.ts');

interface StepRun {
  executionId: string;
  stepIndex: number;
  pid: number;
  idempotencyKey: string;
}

const stepRuns = (file: string): StepRun[] => {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [executionId = '', stepIndex = '', pid = '', idempotencyKey = ''] = line.split(' ');
      return { executionId, stepIndex: Number(stepIndex), pid: Number(pid), idempotencyKey };
    });
};

/** A bounded wait for a value (15 s). */
const until = <T>(what: string, probe: () => T | undefined | Promise<T | undefined>): Promise<T> =>
  eventually(what, probe, { timeoutMs: 15_000 });

test('a worker killed mid-segment: the segment runs again on another worker, committed once; a segment longer than the lease runs once', async (t) => {
  const stepDir = mkdtempSync(join(tmpdir(), 'capstan-steps-'));
  t.after(() => rmSync(stepDir, { recursive: true, force: true }));
  const stepLog = join(stepDir, 'steps.log');
  const coordinator = await startCoordinatorProcess(t, {
    pipelines: [SLOW],
    env: remoteCoordinatorEnv({
      PIPELINE_ORCHESTRATOR_LEASE_MS: '3000',
      PIPELINE_ORCHESTRATOR_SWEEP_INTERVAL: 'PT1S',
      PIPELINE_ORCHESTRATOR_RETRY_DELAY: 'PT0.2S',
    }),
  });
  const workerEnv = { CAPSTAN_TEST_STEP_LOG: stepLog, CAPSTAN_TEST_SLOW_MS: '4500' };
  const workers = await Promise.all(
    ['worker-a', 'worker-b'].map((nodeId) =>
      startWorkerProcess(t, {
        pipelines: [SLOW],
        coordinatorUrl: coordinator.baseUrl,
        nodeId,
        env: workerEnv,
      }),
    ),
  );
  const api = apiClient(coordinator.baseUrl);
  const history = async (id: string) =>
    (await api.call('GET', `/tpf/control-plane/tenants/default/executions/${id}/history`)).body.events as {
      type: string;
      data: Record<string, unknown>;
    }[];
  const submit = async (n: number): Promise<string> =>
    until(`a submit of ${n}`, async () => {
      const submitted = await api.submit({ pipelineId: 'slow-charge', input: { n } });
      return submitted.status === 200 ? (submitted.body.executionId as string) : undefined;
    });

  // 4.5 s of work under a 3 s lease (renewed every second, so a stall of up to 2 s is survived): renewal keeps the lease, so nobody takes the segment over.
  const long = await submit(1);
  assert.equal((await api.result(long, 15_000)).body.status.status, 'SUCCEEDED');
  assert.equal((await history(long)).filter((e) => e.type === 'attempt_started').length, 1);
  assert.equal(stepRuns(stepLog).filter((r) => r.executionId === long && r.stepIndex === 1).length, 1);

  // Kill whichever worker runs the slow step of the next execution.
  const id = await submit(2);
  const first = await until('the slow step to start', () =>
    stepRuns(stepLog).find((r) => r.executionId === id && r.stepIndex === 1),
  );
  const victim = workers.find((w) => w.child.pid === first.pid);
  const survivor = workers.find((w) => w !== victim);
  assert.ok(victim && survivor, `the slow step ran in a worker (pid ${first.pid})`);
  await victim.kill('SIGKILL');

  const done = await api.result(id, 20_000);
  assert.equal(done.body.status.status, 'SUCCEEDED', JSON.stringify(done.body));
  assert.equal(done.body.result.chargedBy, survivor.child.pid, 'the surviving worker finished it');
  const events = await history(id);
  assert.equal(events.filter((e) => e.type === 'succeeded').length, 1, 'the result is committed once');
  const unknown = events.find(
    (e) => e.type === 'retry_scheduled' && e.data.errorCode === 'REMOTE_OUTCOME_UNKNOWN',
  );
  assert.ok(unknown, `the lost call is an unknown outcome, never a plain failure: ${JSON.stringify(events)}`);
  const slowRuns = stepRuns(stepLog).filter((r) => r.executionId === id && r.stepIndex === 1);
  assert.deepEqual(
    slowRuns.map((r) => [r.pid, r.idempotencyKey]),
    [
      [victim.child.pid, `${id}:charge`],
      [survivor.child.pid, `${id}:charge`],
    ],
    'the retry ran the step with the same idempotency key',
  );
  const steps = events.filter((e) => e.type === 'step_completed').map((e) => e.data.stepIndex);
  assert.deepEqual(steps, [0, 1], 'each step checkpointed exactly once');
});

test('a worker found by base URL, signing with a rotated key; unsigned or badly signed calls are refused', async (t) => {
  const worker = await startWorkerProcess(t, {
    pipelines: [RESTAURANT],
    nodeId: 'static-worker',
    env: {
      TEST_NEW_SECRET: 'the-new-secret-0123456789',
      PIPELINE_ORCHESTRATOR_WORKER_REST_SECRET_REFS: 'k2=env:TEST_NEW_SECRET',
    },
  });
  const coordinator = await startCoordinatorProcess(t, {
    pipelines: [RESTAURANT],
    env: remoteCoordinatorEnv({
      TEST_NEW_SECRET: 'the-new-secret-0123456789',
      PIPELINE_ORCHESTRATOR_WORKER_REST_SECRET_REFS: 'k2=env:TEST_NEW_SECRET',
      PIPELINE_ORCHESTRATOR_WORKER_REST_SIGNING_KEY_ID: 'k2',
      PIPELINE_ORCHESTRATOR_WORKER_REST_BASE_URL: worker.baseUrl,
      PIPELINE_ORCHESTRATOR_WORKER_LIFECYCLE_STALE_AFTER: 'PT3S',
    }),
  });
  const admin = apiClient(coordinator.baseUrl, ADMIN_TOKEN);
  const listed = await until('the probed worker to be HEALTHY', async () => {
    const workers = (
      await admin.call('GET', '/tpf/admin/tenants/default/pipelines/restaurant-approval/workers')
    ).body as { workerId: string; state: string; endpoint: string; protocol: string }[];
    return workers.find((w) => w.workerId === 'static-worker' && w.state === 'HEALTHY');
  });
  assert.deepEqual([listed.protocol, listed.endpoint], ['rest', worker.baseUrl]);
  const api = apiClient(coordinator.baseUrl);
  const submitted = await api.submit({ pipelineId: 'restaurant-approval', input: newOrder() });
  assert.equal(submitted.status, 200, JSON.stringify(submitted.body));
  assert.equal((await api.result(submitted.body.executionId)).body.status.status, 'WAITING_EXTERNAL');
  assert.ok(worker.output().includes(submitted.body.executionId), 'the segment ran on the worker');

  // Straight to the worker, past the coordinator: nothing runs without a key holder's signature.
  const command = JSON.stringify({
    executionId: 'forged',
    tenantId: 'default',
    pipelineId: 'restaurant-approval',
  });
  const execute = `${worker.baseUrl}/pipeline/worker/transitions/execute`;
  const unsigned = await fetch(execute, {
    method: 'POST',
    body: command,
    headers: { 'content-type': 'application/json' },
  });
  assert.equal(unsigned.status, 401);
  const forged = await fetch(execute, {
    method: 'POST',
    body: command,
    headers: {
      'content-type': 'application/json',
      'x-tpf-worker-timestamp': new Date().toISOString(),
      'x-tpf-worker-nonce': 'a-nonce-of-my-own',
      'x-tpf-worker-signature': 'ab'.repeat(32),
    },
  });
  assert.equal(forged.status, 401);
  assert.equal((await fetch(`${worker.baseUrl}/pipeline/worker/capabilities`)).status, 401);
  assert.ok(!worker.output().includes('"executionId":"forged"'), 'nothing ran');
});
