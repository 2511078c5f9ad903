/**
 * Pull workers on one coordinator process (SQLite): `capstan worker --pull` processes that ask
 * for their segments, and the pull API itself, called as a worker would (worker token).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { ADMIN_TOKEN, apiClient, startCoordinatorProcess } from '../support/coordinator-process.ts';
import { eventually } from '../support/eventually.ts';
import { parsePrometheusText, sumOf } from '../support/prometheus-text.ts';
import { pullApi, resultOfSlowCharge } from '../support/pull-api.ts';
import { remoteCoordinatorEnv, startPullWorkerProcess, WORKER_TOKEN } from '../support/worker-process.ts';
import { waitForWorkerState } from '../support/worker-routing.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const SLOW = join(ROOT, 'test/fixtures/slow-pipeline/pipeline.ts');

interface Event {
  readonly type: string;
  readonly atEpochMs: number;
  readonly data: Record<string, unknown>;
}

const stepRuns = (file: string) => {
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
      const [executionId = '', stepIndex = '', pid = ''] = line.split(' ');
      return { executionId, stepIndex: Number(stepIndex), pid: Number(pid) };
    });
};

async function metricsOf(baseUrl: string) {
  const scraped = await fetch(`${baseUrl}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  assert.equal(scraped.status, 200);
  return parsePrometheusText(await scraped.text());
}

const until = <T>(what: string, probe: () => T | undefined | Promise<T | undefined>): Promise<T> =>
  eventually(what, probe, { timeoutMs: 20_000 });

function historyOf(api: ReturnType<typeof apiClient>) {
  return async (id: string): Promise<Event[]> =>
    (await api.call('GET', `/tpf/control-plane/tenants/default/executions/${id}/history?limit=500`)).body
      .events as Event[];
}

test('pull worker processes: pipelines run to SUCCEEDED; one slot never holds two leases; a killed worker’s lease is taken back and the segment completes once', async (t) => {
  const stepDir = mkdtempSync(join(tmpdir(), 'capstan-pull-steps-'));
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
  const api = apiClient(coordinator.baseUrl);
  const history = historyOf(api);
  const refused = await api.submit({ pipelineId: 'slow-charge', input: { n: 0 } });
  assert.equal(refused.status, 503, 'no worker yet');
  assert.equal(refused.body.error.code, 'no_healthy_worker');

  // One slot; the slow step outlasts the 3 s lease, so only the worker's heartbeats keep it.
  const env = { CAPSTAN_TEST_STEP_LOG: stepLog, CAPSTAN_TEST_SLOW_MS: '4500' };
  const a = await startPullWorkerProcess(t, {
    coordinatorUrl: coordinator.baseUrl,
    pipelines: [SLOW],
    nodeId: 'pull-a',
    slots: 1,
    env,
  });
  const registered = await waitForWorkerState(coordinator, 'pull-a', 'HEALTHY', 'slow-charge');
  assert.equal(registered.protocol, 'pull');

  const ids: string[] = [];
  for (let n = 1; n <= 3; n++) {
    const submitted = await api.submit({ pipelineId: 'slow-charge', input: { n } });
    assert.equal(submitted.status, 200, JSON.stringify(submitted.body));
    ids.push(submitted.body.executionId as string);
  }
  const leases: [number, number][] = [];
  for (const id of ids) {
    const done = await api.result(id, 30_000);
    assert.equal(done.body.status.status, 'SUCCEEDED', JSON.stringify(done.body));
    assert.equal(done.body.result.chargedBy, a.child.pid, 'the pull worker ran it');
    const events = await history(id);
    const started = events.filter((e) => e.type === 'attempt_started');
    assert.equal(started.length, 1, `heartbeats kept the lease past its 3 s: ${JSON.stringify(started)}`);
    assert.equal(started[0]?.data.leaseOwner, 'pull:pull-a', 'claimed by the pull worker, not pushed');
    const succeeded = events.find((e) => e.type === 'succeeded');
    assert.ok(started[0] && succeeded);
    leases.push([started[0].atEpochMs, succeeded.atEpochMs]);
  }
  // Back-pressure: with one slot, each lease is taken only after the previous one ended.
  leases.sort((x, y) => x[0] - y[0]);
  for (let i = 1; i < leases.length; i++)
    assert.ok(
      (leases[i]?.[0] ?? 0) >= (leases[i - 1]?.[1] ?? Infinity),
      `one slot never holds two leases: ${JSON.stringify(leases)}`,
    );

  // Kill the worker mid-step: the lease runs out, the leader takes it back, another worker completes it once.
  const id = (await api.submit({ pipelineId: 'slow-charge', input: { n: 9 } })).body.executionId as string;
  await until('the slow step to start on pull-a', () =>
    stepRuns(stepLog).find((r) => r.executionId === id && r.stepIndex === 1 && r.pid === a.child.pid),
  );
  await a.kill('SIGKILL');
  const b = await startPullWorkerProcess(t, {
    coordinatorUrl: coordinator.baseUrl,
    pipelines: [SLOW],
    nodeId: 'pull-b',
    slots: 2,
    env: { ...env, CAPSTAN_TEST_SLOW_MS: '200' },
  });
  const done = await api.result(id, 30_000);
  assert.equal(done.body.status.status, 'SUCCEEDED', JSON.stringify(done.body));
  assert.equal(done.body.result.chargedBy, b.child.pid, 'the second worker finished it');
  const events = await history(id);
  assert.equal(events.filter((e) => e.type === 'succeeded').length, 1, 'committed once');
  assert.deepEqual(
    events.filter((e) => e.type === 'attempt_started').map((e) => e.data.leaseOwner),
    ['pull:pull-a', 'pull:pull-b'],
  );
  assert.ok(
    events.some((e) => e.type === 'retry_scheduled' && e.data.errorCode === 'lease_expired'),
    `the lost lease was taken back: ${JSON.stringify(events.map((e) => [e.type, e.data.errorCode]))}`,
  );
});

test('the pull API: max is honoured, a stale lease epoch is 409 with nothing written, heartbeats keep a lease an idle one loses', async (t) => {
  const coordinator = await startCoordinatorProcess(t, {
    pipelines: [SLOW],
    env: remoteCoordinatorEnv({
      PIPELINE_ORCHESTRATOR_LEASE_MS: '2000',
      PIPELINE_ORCHESTRATOR_SWEEP_INTERVAL: 'PT1S',
      PIPELINE_ORCHESTRATOR_RETRY_DELAY: 'PT0.2S',
    }),
  });
  const api = apiClient(coordinator.baseUrl);
  const admin = apiClient(coordinator.baseUrl, ADMIN_TOKEN);
  const pull = pullApi(apiClient(coordinator.baseUrl, WORKER_TOKEN), 'puller');
  assert.equal(
    (await pull.poll(1, 0)).body.error.code,
    'worker_not_found',
    'not registered as a pull worker',
  );
  await pull.register(admin, 'slow-charge');

  const ids: string[] = [];
  for (let n = 1; n <= 3; n++)
    ids.push((await api.submit({ pipelineId: 'slow-charge', input: { n } })).body.executionId);
  const first = await pull.poll(1, 0);
  assert.equal(first.status, 200, JSON.stringify(first.body));
  assert.equal(first.body.segments.length, 1, 'max 1: one segment, though three are due');
  const second = await pull.poll(1, 0);
  assert.equal(second.body.segments.length, 1);
  const [kept] = first.body.segments;
  const [idle] = second.body.segments;
  assert.equal(kept.command.executionId, kept.executionId, 'the command envelope, as REST and gRPC carry it');
  assert.equal(kept.command.leaseEpoch, kept.leaseEpoch);
  assert.equal(kept.command.currentStepIndex, 0);

  const before = (await api.status(kept.executionId)).body;
  const stale = await pull.complete(kept.executionId, kept.leaseEpoch + 1, resultOfSlowCharge(1));
  assert.equal(stale.status, 409);
  assert.equal(stale.body.error.code, 'lease_epoch_stale');
  const after = (await api.status(kept.executionId)).body;
  assert.equal(after.status, 'RUNNING');
  assert.equal(after.version, before.version, 'nothing was written');

  // Heartbeat one lease and not the other until the leader has taken the idle one back.
  let reclaimed = false;
  const beating = (async () => {
    while (!reclaimed) {
      const beat = await pull.heartbeat([{ executionId: kept.executionId, leaseEpoch: kept.leaseEpoch }]);
      assert.equal(beat.status, 200, JSON.stringify(beat.body));
      assert.equal(beat.body.leases[0].held, true, 'the heartbeated lease is held');
      await new Promise((r) => setTimeout(r, 300));
    }
  })();
  await until('the idle lease to be taken back', async () => {
    const status = (await api.status(idle.executionId)).body.status as string;
    return status === 'RUNNING' ? undefined : status;
  });
  reclaimed = true;
  await beating;
  const idleBeat = await pull.heartbeat([{ executionId: idle.executionId, leaseEpoch: idle.leaseEpoch }]);
  assert.equal(idleBeat.body.leases[0].held, false, 'the idle lease is lost, and the heartbeat says so');
  const late = await pull.complete(idle.executionId, idle.leaseEpoch, resultOfSlowCharge(2));
  assert.equal(late.body.error.code, 'lease_epoch_stale', 'its result is refused');

  const completed = await pull.complete(kept.executionId, kept.leaseEpoch, resultOfSlowCharge(1));
  assert.equal(completed.status, 200, JSON.stringify(completed.body));
  assert.equal(completed.body.status, 'SUCCEEDED');
  assert.deepEqual((await api.result(kept.executionId)).body.result, { n: 1, chargedBy: 7 });
  const again = await pull.complete(kept.executionId, kept.leaseEpoch, resultOfSlowCharge(1));
  assert.equal(again.status, 409, 'a second completion of the same lease is refused');
  assert.equal(again.body.error.code, 'lease_epoch_stale');

  const bad = await pull.complete(ids[2] ?? '', 1, { outcome: 'COMPLETED' });
  assert.equal(bad.status, 400, 'a result that is no result envelope');
  assert.equal((await pull.poll(0, 0)).status, 400, 'max must be at least 1');
  assert.equal((await pull.poll(1, 3_600_000)).status, 400, 'the wait is capped');
});

test('on SQLite a waiting poll is woken in-process by a submit, not by a timer', async (t) => {
  // Passes are rare here (every 40 s at most), so nothing but the submit can wake the poll.
  const coordinator = await startCoordinatorProcess(t, {
    pipelines: [SLOW],
    env: remoteCoordinatorEnv({ PIPELINE_ORCHESTRATOR_SWEEP_INTERVAL: 'PT60S' }),
  });
  const api = apiClient(coordinator.baseUrl);
  const pull = pullApi(apiClient(coordinator.baseUrl, WORKER_TOKEN), 'puller');
  await pull.register(apiClient(coordinator.baseUrl, ADMIN_TOKEN), 'slow-charge');
  const waiting = pull.poll(1, 60_000);
  await until('the poll to wait', async () =>
    sumOf(await metricsOf(coordinator.baseUrl), 'capstan_pull_polls_waiting') === 1 ? true : undefined,
  );
  const submitted = (await api.submit({ pipelineId: 'slow-charge', input: { n: 4 } })).body
    .executionId as string;
  const woken = await waiting;
  assert.equal(woken.status, 200, JSON.stringify(woken.body));
  assert.equal(woken.body.segments[0]?.executionId, submitted);
  const samples = await metricsOf(coordinator.baseUrl);
  assert.equal(
    sumOf(samples, 'capstan_pull_polls_total', { answer: 'segments', woken_by: 'local' }),
    1,
    'the submit woke the waiting poll',
  );
  assert.equal(sumOf(samples, 'capstan_pull_polls_waiting'), 0);
  const done = await pull.complete(submitted, woken.body.segments[0].leaseEpoch, resultOfSlowCharge(4));
  assert.equal(done.body.status, 'SUCCEEDED', JSON.stringify(done.body));
});
