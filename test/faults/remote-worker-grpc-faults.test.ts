/**
 * A gRPC worker under faults, as separate processes: a segment longer than the lease keeps its
 * lease while the call is in flight, and a worker killed mid-call leaves an unknown outcome,
 * which `remote-outcome-unknown-policy=dlq` hands to an operator.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { apiClient, startCoordinatorProcess } from '../support/coordinator-process.ts';
import { remoteCoordinatorEnv, startWorkerProcess } from '../support/worker-process.ts';
import { waitForWorkerState } from '../support/worker-routing.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const SLOW = join(ROOT, 'test/fixtures/slow-pipeline/pipeline.ts');
const GRPC_ENV = { PIPELINE_ORCHESTRATOR_WORKER_GRPC_SHARED_SECRET_REF: 'env:TEST_WORKER_SECRET' };

/** Whether the slow pipeline's step log says this execution's slow step started. */
const slowStepStarted = (file: string, executionId: string): boolean => {
  try {
    return readFileSync(file, 'utf8').includes(`${executionId} 1 `);
  } catch {
    return false;
  }
};

test('gRPC: a segment longer than the lease runs once; a worker killed mid-call is an unknown outcome, sent to the DLQ', async (t) => {
  const stepDir = mkdtempSync(join(tmpdir(), 'capstan-grpc-steps-'));
  t.after(() => rmSync(stepDir, { recursive: true, force: true }));
  const stepLog = join(stepDir, 'steps.log');
  const coordinator = await startCoordinatorProcess(t, {
    pipelines: [SLOW],
    env: remoteCoordinatorEnv({
      ...GRPC_ENV,
      PIPELINE_ORCHESTRATOR_WORKER_REST_SHARED_SECRET_REF: '',
      PIPELINE_ORCHESTRATOR_LEASE_MS: '3000',
      PIPELINE_ORCHESTRATOR_SWEEP_INTERVAL: 'PT1S',
      PIPELINE_ORCHESTRATOR_REMOTE_OUTCOME_UNKNOWN_POLICY: 'dlq',
    }),
  });
  const worker = await startWorkerProcess(t, {
    pipelines: [SLOW],
    args: ['--grpc-port', '0'],
    coordinatorUrl: coordinator.baseUrl,
    env: { ...GRPC_ENV, CAPSTAN_TEST_STEP_LOG: stepLog, CAPSTAN_TEST_SLOW_MS: '4500' },
  });
  const registered = await waitForWorkerState(coordinator, worker.workerId, 'HEALTHY', 'slow-charge');
  assert.equal(registered.protocol, 'grpc');
  const api = apiClient(coordinator.baseUrl);
  const history = async (id: string) =>
    (await api.call('GET', `/tpf/control-plane/tenants/default/executions/${id}/history`)).body.events as {
      type: string;
      data: Record<string, unknown>;
    }[];

  // 4.5 s of work under a 3 s lease (renewed every second, so a stall of up to 2 s is survived): renewal keeps it, so nobody takes the segment over.
  const long = await api.submit({ pipelineId: 'slow-charge', input: { n: 1 } });
  assert.equal(long.status, 200, JSON.stringify(long.body));
  const done = await api.result(long.body.executionId, 15_000);
  assert.equal(done.body.status.status, 'SUCCEEDED', JSON.stringify(done.body));
  const events = await history(long.body.executionId);
  assert.equal(events.filter((e) => e.type === 'attempt_started').length, 1);
  assert.deepEqual(
    events.filter((e) => e.type === 'step_completed').map((e) => e.data.stepIndex),
    [0, 1],
    'per-step outputs from the gRPC result, each checkpointed once',
  );

  // The worker dies while the slow step runs: the command was sent, its outcome is unknown.
  const lost = await api.submit({ pipelineId: 'slow-charge', input: { n: 2 } });
  const id = lost.body.executionId as string;
  const deadline = Date.now() + 15_000;
  while (!slowStepStarted(stepLog, id)) {
    assert.ok(Date.now() < deadline, 'the slow step started on the worker');
    await sleep(50);
  }
  await worker.kill('SIGKILL');
  const parked = await api.result(id, 15_000);
  assert.equal(parked.body.status.status, 'DLQ', JSON.stringify(parked.body));
  assert.equal(parked.body.status.dlqReason, 'remote_outcome_unknown');
  assert.equal(parked.body.status.errorCode, 'REMOTE_OUTCOME_UNKNOWN');
});
