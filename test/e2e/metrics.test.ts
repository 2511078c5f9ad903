import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { test, type TestContext } from 'node:test';
import {
  ADMIN_TOKEN,
  OPERATOR_TOKEN,
  apiClient,
  startCoordinatorProcess,
} from '../support/coordinator-process.ts';
import { eventually } from '../support/eventually.ts';
import { freshSchema } from '../support/fresh-schema.ts';
import { postgresUrl } from '../support/postgres-server.ts';
import { metricTypes, parsePrometheusText, sumOf, valueOf, type Sample } from '../support/prometheus-text.ts';
import { newOrder } from '../support/restaurant-order.ts';
import { remoteCoordinatorEnv, startWorkerProcess } from '../support/worker-process.ts';
import { waitForWorkerState } from '../support/worker-routing.ts';

const STATUSES = [
  'QUEUED',
  'RUNNING',
  'WAITING_EXTERNAL',
  'WAIT_RETRY',
  'SUCCEEDED',
  'FAILED',
  'DLQ',
  'CANCELLED',
];
const PIPELINE = 'restaurant-approval';

type Api = ReturnType<typeof apiClient>;

/** Env for a coordinator on a fresh PostgreSQL schema, dropped after the test. */
async function postgresEnv(t: TestContext): Promise<Record<string, string>> {
  const url = await postgresUrl();
  const schema = freshSchema(t, url, 'capstan_metrics');
  return {
    PIPELINE_ORCHESTRATOR_STATE_PROVIDER: 'postgres',
    PIPELINE_ORCHESTRATOR_POSTGRES_URL: url,
    PIPELINE_ORCHESTRATOR_POSTGRES_SCHEMA: schema,
  };
}

/**
 * A scripted run: two orders parked at the restaurant's await, one approved to SUCCEEDED, one
 * with a zero amount that its first step refuses for good (DLQ `invalid_amount`).
 */
async function scriptedRun(api: Api): Promise<void> {
  const parked: string[] = [];
  for (const name of ['Ada', 'Grace', 'Edsger']) {
    const submitted = await api.submit({ pipelineId: PIPELINE, input: newOrder({ customerName: name }) });
    assert.equal(submitted.status, 200, JSON.stringify(submitted.body));
    const settled = await api.result(submitted.body.executionId);
    assert.equal(settled.body.status.status, 'WAITING_EXTERNAL');
    parked.push(submitted.body.executionId);
  }
  const pending = await api.pending();
  const first = (
    pending.body as { executionId: string; interactionId: string; requestPayload: { orderId: string } }[]
  ).find((i) => i.executionId === parked[0]);
  assert.ok(first);
  const completed = await api.complete({
    interactionId: first.interactionId,
    response: { accepted: { orderId: first.requestPayload.orderId, decidedAt: new Date().toISOString() } },
  });
  assert.equal(completed.status, 200, JSON.stringify(completed.body));
  assert.equal((await api.result(parked[0] as string)).body.status.status, 'SUCCEEDED');

  const refused = await api.submit({ pipelineId: PIPELINE, input: newOrder({ totalAmount: '0' }) });
  assert.equal(refused.status, 200, JSON.stringify(refused.body));
  assert.equal((await api.result(refused.body.executionId)).body.status.status, 'DLQ');
}

/** How many executions the API lists with a status (every page). */
async function listedCount(api: Api, status: string): Promise<number> {
  let count = 0;
  let cursor: string | null = null;
  do {
    const page = await api.call(
      'GET',
      `/tpf/control-plane/tenants/default/executions?status=${status}&limit=1000${cursor ? `&cursor=${cursor}` : ''}`,
    );
    assert.equal(page.status, 200, JSON.stringify(page.body));
    count += (page.body.items as unknown[]).length;
    cursor = page.body.nextCursor as string | null;
  } while (cursor);
  return count;
}

async function scrape(
  baseUrl: string,
  token: string | null,
): Promise<{ status: number; type: string; text: string }> {
  const response = await fetch(`${baseUrl}/metrics`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return {
    status: response.status,
    type: response.headers.get('content-type') ?? '',
    text: await response.text(),
  };
}

async function checkAgainstApi(api: Api, samples: readonly Sample[]): Promise<void> {
  // Status distribution: every status, as the API lists it (absent series read as zero).
  for (const status of STATUSES) {
    const listed = await listedCount(api, status);
    const gauge =
      valueOf(samples, 'capstan_executions', { tenant: 'default', pipeline: PIPELINE, status }) ?? 0;
    assert.equal(gauge, listed, `capstan_executions{status="${status}"} agrees with ?status=${status}`);
  }
  assert.equal(valueOf(samples, 'capstan_executions', { status: 'WAITING_EXTERNAL' }), 2);
  assert.equal(valueOf(samples, 'capstan_executions', { status: 'SUCCEEDED' }), 1);
  assert.equal(valueOf(samples, 'capstan_executions', { status: 'DLQ' }), 1);

  // Pending awaits: the inbox's own count, and a deadline ahead (PT30M).
  const pending = await api.pending();
  assert.equal(valueOf(samples, 'capstan_pending_awaits'), (pending.body as unknown[]).length);
  assert.equal(valueOf(samples, 'capstan_pending_awaits'), 2);
  const deadline = valueOf(samples, 'capstan_pending_await_oldest_deadline_seconds') ?? -1;
  assert.ok(deadline > 25 * 60 && deadline <= 30 * 60, `oldest deadline in ${deadline} s`);

  // DLQ: what the API lists in DLQ is what this node moved there, with its failure fingerprint.
  assert.equal(sumOf(samples, 'capstan_dlq_publications_total'), await listedCount(api, 'DLQ'));
  assert.equal(
    valueOf(samples, 'capstan_dlq_publications_total', { tenant: 'default', pipeline: PIPELINE }),
    1,
  );
  assert.equal(
    valueOf(samples, 'capstan_step_failures_total', {
      pipeline: PIPELINE,
      step: 'validate-order',
      error_code: 'invalid_amount',
      decision: 'dlq',
    }),
    1,
  );

  // Nothing is due once the run has settled.
  assert.equal(valueOf(samples, 'capstan_work_queue_depth'), 0);
  assert.equal(valueOf(samples, 'capstan_work_queue_oldest_due_age_seconds'), 0);

  // The release the coordinator activated for its pipeline.
  const release = samples.find(
    (s) => s.name === 'capstan_active_release_info' && s.labels.pipeline === PIPELINE,
  );
  assert.ok(release, 'an active release for the pipeline');
  assert.equal(release.value, 1);
  assert.ok((valueOf(samples, 'capstan_release_activations_total', { pipeline: PIPELINE }) ?? 0) >= 1);

  // Workers by state: every state present; the local worker is healthy.
  for (const state of ['HEALTHY', 'STALE', 'DRAINING', 'UNAVAILABLE'])
    assert.notEqual(valueOf(samples, 'capstan_workers', { state }), undefined, state);
  assert.ok((valueOf(samples, 'capstan_workers', { state: 'HEALTHY' }) ?? 0) >= 1, 'the local worker');

  // The engine at work: maintenance passes and store commits were measured.
  assert.ok(sumOf(samples, 'capstan_maintenance_passes_total') >= 1);
  assert.ok((valueOf(samples, 'capstan_store_commit_duration_seconds_count') ?? 0) >= 1);
  assert.ok((valueOf(samples, 'capstan_store_commit_batch_size_count') ?? 0) >= 1);
  assert.equal(sumOf(samples, 'capstan_lease_takeovers_total'), 0);
}

for (const store of ['sqlite', 'postgres'] as const) {
  test(`GET /metrics on ${store} agrees with the API after a scripted run`, async (t) => {
    const env = {
      CAPSTAN_METRICS_PORT: '0',
      CAPSTAN_LOG_FORMAT: 'json',
      ...(store === 'postgres' ? await postgresEnv(t) : {}),
    };
    const coordinator = await startCoordinatorProcess(t, { env });
    const api = apiClient(coordinator.baseUrl);
    await scriptedRun(api);

    const scraped = await scrape(coordinator.baseUrl, OPERATOR_TOKEN);
    assert.equal(scraped.status, 200, scraped.text);
    assert.match(scraped.type, /^text\/plain; version=0\.0\.4/);
    const samples = parsePrometheusText(scraped.text);
    assert.ok(
      samples.every((s) => s.name.startsWith('capstan_')),
      'every metric is capstan_…',
    );
    assert.ok((valueOf(samples, 'capstan_process_resident_memory_bytes') ?? 0) > 0, 'process metrics too');
    assert.ok(samples.every((s) => !('execution' in s.labels) && !('execution_id' in s.labels)));
    const types = metricTypes(scraped.text);
    assert.equal(types.get('capstan_executions'), 'gauge');
    assert.equal(types.get('capstan_dlq_publications_total'), 'counter');
    assert.equal(types.get('capstan_store_commit_duration_seconds'), 'histogram');
    await checkAgainstApi(api, samples);

    // The token: none is a 401, the admin's opens it too.
    assert.equal((await scrape(coordinator.baseUrl, null)).status, 401);
    assert.equal((await scrape(coordinator.baseUrl, 'not-a-token')).status, 401);
    assert.equal((await scrape(coordinator.baseUrl, ADMIN_TOKEN)).status, 200);

    // The separate listener serves the same metrics without a token, and nothing else.
    const metricsUrl = await eventually('the metrics listener', () => {
      const line = coordinator
        .stdout()
        .split('\n')
        .find((l) => l.includes('metrics served without a token'));
      return line ? (JSON.parse(line) as { address: string }).address : undefined;
    });
    assert.match(metricsUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    const open = await scrape(metricsUrl, null);
    assert.equal(open.status, 200);
    assert.equal(
      valueOf(parsePrometheusText(open.text), 'capstan_executions', { pipeline: PIPELINE, status: 'DLQ' }),
      1,
    );
    assert.equal((await fetch(`${metricsUrl}/tpf/control-plane/tenants/default/executions`)).status, 404);
  });
}

test('worker protocol latency and transport failures, over REST to a worker process', async (t) => {
  const restaurant = join(resolve(import.meta.dirname, '../..'), 'examples/restaurant-approval/pipeline.ts');
  const coordinator = await startCoordinatorProcess(t, {
    pipelines: [restaurant],
    env: remoteCoordinatorEnv(),
  });
  const api = apiClient(coordinator.baseUrl);
  const worker = await startWorkerProcess(t, {
    pipelines: [restaurant],
    coordinatorUrl: coordinator.baseUrl,
  });
  await waitForWorkerState(coordinator, worker.workerId, 'HEALTHY');

  const submitted = await api.submit({ pipelineId: PIPELINE, input: newOrder() });
  assert.equal(submitted.status, 200, JSON.stringify(submitted.body));
  assert.equal((await api.result(submitted.body.executionId)).body.status.status, 'WAITING_EXTERNAL');
  const answered = parsePrometheusText((await scrape(coordinator.baseUrl, OPERATOR_TOKEN)).text);
  assert.ok(
    (valueOf(answered, 'capstan_worker_request_duration_seconds_count', {
      transport: 'rest',
      outcome: 'waiting_external',
    }) ?? 0) >= 1,
    'the segment that parked was one timed REST call',
  );
  assert.equal(sumOf(answered, 'capstan_worker_transport_failures_total'), 0);

  // The worker dies without a word: the next call to it is never answered.
  await worker.kill('SIGKILL');
  const orphan = await api.submit({ pipelineId: PIPELINE, input: newOrder() });
  assert.equal(orphan.status, 200, JSON.stringify(orphan.body));
  await eventually('a transport failure counted', async () => {
    const samples = parsePrometheusText((await scrape(coordinator.baseUrl, OPERATOR_TOKEN)).text);
    return sumOf(samples, 'capstan_worker_transport_failures_total', { transport: 'rest' }) >= 1
      ? true
      : undefined;
  });
});
