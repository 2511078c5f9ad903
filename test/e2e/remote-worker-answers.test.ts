/**
 * What a coordinator process makes of a REST worker's answers, from a worker double that
 * speaks the real signed protocol: a signed answer commits only what fits the segment, and
 * only a signed refusal may say that nothing ran.
 */
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { encodeResult } from '../../src/worker-protocol/result-codec.ts';
import type { SegmentCommand, SegmentResult, StepOutput } from '../../src/segment/transition-worker.ts';
import { ADMIN_TOKEN, apiClient, startCoordinatorProcess } from '../support/coordinator-process.ts';
import { startFakeRestWorker, type FakeAnswer } from '../support/fake-rest-worker.ts';
import { remoteCoordinatorEnv } from '../support/worker-process.ts';

const GATED = join(resolve(import.meta.dirname, '../..'), 'test/fixtures/gated-pipeline/pipeline.ts');
const BASE = '/tpf/admin/tenants/default/pipelines/gated';

const signedResult = (
  command: SegmentCommand,
  result: Exclude<SegmentResult, { outcome: 'ABANDONED' | 'UNREACHABLE' | 'OUTCOME_UNKNOWN' }>,
  outputs: StepOutput[],
): FakeAnswer => ({
  status: 200,
  body: JSON.stringify(encodeResult(result, command, outputs)),
  signed: true,
});

const suspension = {
  stepId: 'approve',
  requestPayload: { n: 2 },
  deadlineMs: 1_800_000,
  group: null,
  assignee: null,
  transportType: 'HUMAN_TASK',
};

/** The answers the double gives, by the input's `n`. */
const answers: Record<number, (c: SegmentCommand) => FakeAnswer> = {
  // Skips the human decision: an output for the await step, and the pipeline's result.
  1: (c) =>
    signedResult(c, { outcome: 'COMPLETED', stepIndex: 3, output: { done: true } }, [
      { stepIndex: 0, output: { n: 2 } },
      { stepIndex: 1, output: { n: 2 } },
      { stepIndex: 2, output: { approved: true } },
    ]),
  // An output for a step beyond the segment.
  2: (c) =>
    signedResult(c, { outcome: 'WAITING_EXTERNAL', stepIndex: 2, suspension }, [
      { stepIndex: 0, output: { n: 2 } },
      { stepIndex: 1, output: { n: 2 } },
      { stepIndex: 3, output: { done: true } },
    ]),
  // An output that breaks its step's schema.
  3: (c) =>
    signedResult(c, { outcome: 'WAITING_EXTERNAL', stepIndex: 2, suspension }, [
      { stepIndex: 0, output: { n: 'two' } },
      { stepIndex: 1, output: { n: 2 } },
    ]),
  // What a faithful worker answers: committed.
  4: (c) =>
    signedResult(c, { outcome: 'WAITING_EXTERNAL', stepIndex: 2, suspension }, [
      { stepIndex: 0, output: { n: 8 } },
      { stepIndex: 1, output: { n: 8 } },
    ]),
  // A proxy's 503 and 404, unsigned: they may follow a partial run.
  5: () => ({ status: 503, body: '<html>Service Unavailable</html>', signed: false }),
  6: () => ({
    status: 404,
    body: JSON.stringify({ error: { code: 'route_not_found', message: 'x' } }),
    signed: false,
  }),
  // The worker's own signed refusal before running anything.
  7: () => ({
    status: 503,
    body: JSON.stringify({ error: { code: 'replay_cache_full', message: 'replay cache full' } }),
    signed: true,
  }),
};

/** A coordinator process for the gated pipeline, whose one worker is the double. */
async function startGated(t: TestContext) {
  const coordinator = await startCoordinatorProcess(t, {
    pipelines: [GATED],
    env: remoteCoordinatorEnv({ PIPELINE_ORCHESTRATOR_RETRY_DELAY: 'PT1H' }),
  });
  const api = apiClient(coordinator.baseUrl);
  const admin = apiClient(coordinator.baseUrl, ADMIN_TOKEN);
  const fake = await startFakeRestWorker(t, (command) => {
    const { n } = command.input as { n: number };
    const answer = answers[n];
    if (!answer) throw new Error(`no scripted answer for n=${n}`);
    return answer(command);
  });
  const active = (await admin.call('GET', `${BASE}/releases/active`)).body as {
    releaseVersion: string;
    contractVersion: string;
  };
  const registered = await admin.call('POST', `${BASE}/workers/register`, {
    workerId: 'double',
    contractVersion: active.contractVersion,
    releaseVersion: active.releaseVersion,
    protocol: 'rest',
    endpoint: fake.url,
  });
  assert.equal(registered.status, 200, JSON.stringify(registered.body));

  const cp = '/tpf/control-plane/tenants/default';
  const history = async (id: string) =>
    (await api.call('GET', `${cp}/executions/${id}/history`)).body.events as {
      type: string;
      data: Record<string, unknown>;
    }[];
  /** Submits with input `n` and waits until the execution has an error code (or waits for a decision). */
  const run = async (n: number) => {
    const submitted = await api.submit({ pipelineId: 'gated', input: { n } });
    assert.equal(submitted.status, 200, JSON.stringify(submitted.body));
    const id = submitted.body.executionId as string;
    const deadline = Date.now() + 15_000;
    for (;;) {
      const status = (await api.status(id)).body;
      if (status.errorCode || status.status === 'WAITING_EXTERNAL')
        return { id, status, events: await history(id) };
      if (Date.now() > deadline) throw new Error(`execution ${n} settled nowhere: ${JSON.stringify(status)}`);
      await sleep(50);
    }
  };

  return { api, run };
}

test('a signed REST worker answer commits only what fits the segment: not the await step, not beyond it, not off-schema', async (t) => {
  const { api, run } = await startGated(t);
  for (const n of [1, 2, 3]) {
    const { status, events } = await run(n);
    assert.equal(status.status, 'WAIT_RETRY', `${n}: a failed try, retried per the policy`);
    assert.equal(status.errorCode, 'worker_result_invalid', `${n}: ${JSON.stringify(status)}`);
    assert.equal(status.attempt, 1, `${n}: the try counts`);
    assert.equal(status.stepIndex, 0, `${n}: nothing of the answer was committed`);
    assert.equal(status.result ?? null, null);
    assert.deepEqual(
      events.filter((e) => /step_completed|suspended|succeeded/i.test(e.type)),
      [],
      `${n}: no step output, no interaction, no result in the history`,
    );
  }
  assert.deepEqual((await api.pending('?pipelineId=gated')).body, [], 'no decision is pending');

  const faithful = await run(4);
  assert.equal(faithful.status.status, 'WAITING_EXTERNAL', 'the double answers a faithful result too');
  assert.equal(faithful.status.stepIndex, 2);
});

test('an unsigned REST 503 or 404 is an unknown outcome (policy applied); a signed refusal is a plain retry', async (t) => {
  const { run } = await startGated(t);
  for (const n of [5, 6]) {
    const { status, events } = await run(n);
    assert.equal(status.errorCode, 'REMOTE_OUTCOME_UNKNOWN', `${n}: ${JSON.stringify(status)}`);
    assert.equal(status.status, 'WAIT_RETRY', `${n}: the remote-outcome-unknown policy (retry) applied`);
    assert.equal(status.attempt, 1, `${n}: a failed try whose retry keeps the idempotency key`);
    assert.ok(
      events.some((e) => JSON.stringify(e.data).includes('REMOTE_OUTCOME_UNKNOWN')),
      `${n}: visible in the history: ${JSON.stringify(events)}`,
    );
  }

  const refused = await run(7);
  assert.equal(refused.status.errorCode, 'worker_unreachable', JSON.stringify(refused.status));
  assert.equal(refused.status.attempt, 0, 'a signed refusal: nothing ran, no try spent, a plain retry');
});
