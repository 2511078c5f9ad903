/**
 * OpenTelemetry traces as an operator sees them: a real coordinator process (and a real worker
 * process, over REST and over gRPC) with tracing on, exporting over OTLP/HTTP to a receiver in
 * the test.
 */
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { apiClient, startCoordinatorProcess } from '../support/coordinator-process.ts';
import { eventually } from '../support/eventually.ts';
import { startOtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver.ts';
import { newOrder } from '../support/restaurant-order.ts';
import { remoteCoordinatorEnv, startWorkerProcess } from '../support/worker-process.ts';
import { waitForWorkerState } from '../support/worker-routing.ts';

const RESTAURANT = join(resolve(import.meta.dirname, '../..'), 'examples/restaurant-approval/pipeline.ts');
const PIPELINE = 'restaurant-approval';
/** A customer name no span may carry: payloads stay out of traces. */
const SECRET_NAME = 'Zebulon-Payload-Marker';
const SPAN_KIND = { INTERNAL: 1, SERVER: 2, CLIENT: 3 } as const;
const STATUS_ERROR = 2;

/** Tracing on, to `endpoint`, with spans exported every 100 ms rather than every 5 s. */
const tracingEnv = (endpoint: string): Record<string, string> => ({
  CAPSTAN_TRACING_ENABLED: 'true',
  CAPSTAN_TRACING_ENDPOINT: endpoint,
  OTEL_BSP_SCHEDULE_DELAY: '100',
});

/** gRPC: both sides hold the gRPC secret and the coordinator no REST one, so gRPC is all it uses. */
const GRPC_SECRET = { PIPELINE_ORCHESTRATOR_WORKER_GRPC_SHARED_SECRET_REF: 'env:TEST_WORKER_SECRET' };
const protocolEnv = {
  rest: { coordinator: {}, worker: {}, workerArgs: [] },
  grpc: {
    coordinator: { ...GRPC_SECRET, PIPELINE_ORCHESTRATOR_WORKER_REST_SHARED_SECRET_REF: '' },
    worker: GRPC_SECRET,
    workerArgs: ['--grpc-port', '0'],
  },
};

const ofExecution = (spans: readonly ReceivedSpan[], executionId: string) =>
  spans.filter((s) => s.attributes['capstan.execution_id'] === executionId);

const only = <T>(items: readonly T[], what: string): T => {
  assert.equal(items.length, 1, `one ${what}, got ${items.length}`);
  return items[0] as T;
};

test('one trace per execution: submit, both segments around an await and every step; a failing step is an error span', async (t) => {
  const receiver = await startOtlpReceiver(t);
  const coordinator = await startCoordinatorProcess(t, { env: tracingEnv(receiver.endpoint) });
  const api = apiClient(coordinator.baseUrl);

  // The client's own trace context: the submit joins the client's trace.
  const clientTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
  const clientSpan = '00f067aa0ba902b7';
  const submitted = await api.submit(
    { pipelineId: PIPELINE, input: newOrder({ customerName: SECRET_NAME }) },
    { traceparent: `00-${clientTrace}-${clientSpan}-01` },
  );
  assert.equal(submitted.status, 200, JSON.stringify(submitted.body));
  const id = submitted.body.executionId as string;
  assert.equal((await api.result(id)).body.status.status, 'WAITING_EXTERNAL');
  const pending = (await api.pending()).body as {
    interactionId: string;
    requestPayload: { orderId: string };
  }[];
  const interaction = only(pending, 'pending interaction');
  const completed = await api.complete({
    interactionId: interaction.interactionId,
    response: {
      accepted: { orderId: interaction.requestPayload.orderId, decidedAt: new Date().toISOString() },
    },
  });
  assert.equal(completed.status, 200, JSON.stringify(completed.body));
  assert.equal((await api.result(id)).body.status.status, 'SUCCEEDED');

  const refused = await api.submit({ pipelineId: PIPELINE, input: newOrder({ totalAmount: '0' }) });
  assert.equal(refused.status, 200, JSON.stringify(refused.body));
  const refusedId = refused.body.executionId as string;
  assert.equal((await api.result(refusedId)).body.status.status, 'DLQ');

  // Submit, 2 segments, 4 steps, the await of the approved order; submit, 1 segment, 1 step of the refused one.
  await eventually('every span exported', () =>
    ofExecution(receiver.spans, id).length >= 8 && ofExecution(receiver.spans, refusedId).length >= 3
      ? true
      : undefined,
  );
  const spans = ofExecution(receiver.spans, id);
  assert.deepEqual(
    spans.map((s) => s.traceId).filter((traceId) => traceId !== clientTrace),
    [],
    "every span of the execution is in the client's trace",
  );
  assert.ok(spans.every((s) => s.service === 'capstan'));

  const submit = only(
    spans.filter((s) => s.name === 'submit'),
    'submit span',
  );
  assert.equal(submit.parentSpanId, clientSpan);
  assert.equal(submit.kind, SPAN_KIND.SERVER);
  assert.equal(submit.attributes['capstan.tenant_id'], 'default');
  assert.equal(submit.attributes['capstan.pipeline_id'], PIPELINE);
  assert.match(String(submit.attributes['capstan.release_version']), /\S+/);

  const segments = spans.filter((s) => s.name === 'segment');
  assert.deepEqual(
    segments.map((s) => [s.attributes['capstan.step_index'], s.attributes['capstan.outcome']]).sort(),
    [
      [0, 'waiting_external'],
      [3, 'completed'],
    ],
  );
  for (const segment of segments) {
    assert.equal(segment.parentSpanId, submit.spanId, 'each segment continues the stored submit span');
    assert.equal(segment.attributes['capstan.worker_protocol'], 'local');
  }
  const [first, second] = [...segments].sort(
    (a, b) => Number(a.attributes['capstan.step_index']) - Number(b.attributes['capstan.step_index']),
  );
  const stepsOf = (segment: ReceivedSpan | undefined) =>
    spans
      .filter((s) => s.parentSpanId === segment?.spanId)
      .map((s) => [
        s.name,
        s.attributes['capstan.step_id'],
        s.attributes['capstan.attempt'],
        s.attributes['capstan.outcome'],
      ])
      .sort();
  assert.deepEqual(stepsOf(first), [
    ['step await-restaurant-decision', 'await-restaurant-decision', 0, 'parked'],
    ['step create-pending-approval', 'create-pending-approval', 0, 'succeeded'],
    ['step validate-order', 'validate-order', 0, 'succeeded'],
  ]);
  assert.deepEqual(stepsOf(second), [['step finalize-decision', 'finalize-decision', 0, 'succeeded']]);
  const wait = only(
    spans.filter((s) => s.name === 'await await-restaurant-decision'),
    'await span',
  );
  assert.equal(wait.parentSpanId, submit.spanId);
  assert.equal(wait.attributes['capstan.interaction_id'], interaction.interactionId);
  assert.equal(wait.attributes['capstan.outcome'], 'completed');

  // The refused order: its own trace; the step that threw is an error span with the exception.
  const failed = ofExecution(receiver.spans, refusedId);
  assert.ok(failed.every((s) => s.traceId === failed[0]?.traceId && s.traceId !== clientTrace));
  const step = only(
    failed.filter((s) => s.name === 'step validate-order'),
    'validate-order span',
  );
  assert.equal(step.statusCode, STATUS_ERROR);
  assert.equal(step.attributes['capstan.error_code'], 'invalid_amount');
  const exception = only(
    step.events.filter((e) => e.name === 'exception'),
    'exception event',
  );
  assert.equal(exception.attributes['exception.message'], 'totalAmount must be positive');
  const segment = only(
    failed.filter((s) => s.name === 'segment'),
    'segment span',
  );
  assert.equal(segment.statusCode, STATUS_ERROR);
  assert.equal(step.parentSpanId, segment.spanId);

  assert.ok(!JSON.stringify(receiver.spans).includes(SECRET_NAME), 'no payload in any span');
  assert.deepEqual(receiver.refused, [], 'every export was OTLP/HTTP JSON to /v1/traces');
});

for (const protocol of ['rest', 'grpc'] as const) {
  test(`a remote ${protocol} worker's spans continue the coordinator's trace`, async (t) => {
    const receiver = await startOtlpReceiver(t);
    const coordinator = await startCoordinatorProcess(t, {
      pipelines: [RESTAURANT],
      env: remoteCoordinatorEnv({ ...tracingEnv(receiver.endpoint), ...protocolEnv[protocol].coordinator }),
    });
    const worker = await startWorkerProcess(t, {
      pipelines: [RESTAURANT],
      coordinatorUrl: coordinator.baseUrl,
      args: protocolEnv[protocol].workerArgs,
      env: { ...tracingEnv(receiver.endpoint), ...protocolEnv[protocol].worker },
    });
    await waitForWorkerState(coordinator, worker.workerId, 'HEALTHY');
    const api = apiClient(coordinator.baseUrl);
    const submitted = await api.submit({ pipelineId: PIPELINE, input: newOrder() });
    assert.equal(submitted.status, 200, JSON.stringify(submitted.body));
    const id = submitted.body.executionId as string;
    assert.equal((await api.result(id)).body.status.status, 'WAITING_EXTERNAL');

    // Coordinator: submit and segment; worker: its segment and three steps.
    await eventually('the spans of both processes', () =>
      ofExecution(receiver.spans, id).length >= 6 ? true : undefined,
    );
    const spans = ofExecution(receiver.spans, id);
    const submit = only(
      spans.filter((s) => s.name === 'submit'),
      'submit span',
    );
    assert.ok(
      spans.every((s) => s.traceId === submit.traceId),
      `one trace across both processes: ${JSON.stringify(spans.map((s) => [s.service, s.name, s.traceId, s.parentSpanId]))}`,
    );
    const segment = only(
      spans.filter((s) => s.name === 'segment'),
      "coordinator's segment span",
    );
    assert.equal(segment.service, 'capstan');
    assert.equal(segment.kind, SPAN_KIND.CLIENT);
    assert.equal(segment.attributes['capstan.worker_protocol'], protocol);
    assert.equal(segment.attributes['capstan.worker_id'], worker.workerId);
    const remote = only(
      spans.filter((s) => s.name === 'worker.segment'),
      "worker's segment span",
    );
    assert.equal(remote.service, 'capstan-worker');
    assert.equal(remote.kind, SPAN_KIND.SERVER);
    assert.equal(remote.parentSpanId, segment.spanId, 'the traceparent sent with the call is its parent');
    const steps = spans.filter((s) => s.name.startsWith('step '));
    assert.deepEqual(steps.map((s) => s.attributes['capstan.step_id']).sort(), [
      'await-restaurant-decision',
      'create-pending-approval',
      'validate-order',
    ]);
    assert.ok(steps.every((s) => s.service === 'capstan-worker' && s.parentSpanId === remote.spanId));
  });
}

test('tracing off: nothing is exported and no traceparent reaches the worker', async (t) => {
  const receiver = await startOtlpReceiver(t);
  // Off, with an endpoint configured: an endpoint alone turns nothing on.
  const coordinator = await startCoordinatorProcess(t, {
    pipelines: [RESTAURANT],
    env: remoteCoordinatorEnv({
      CAPSTAN_TRACING_ENDPOINT: receiver.endpoint,
      OTEL_BSP_SCHEDULE_DELAY: '100',
    }),
  });
  // The worker traces, so what it received shows: a call without a traceparent starts a new trace.
  const worker = await startWorkerProcess(t, {
    pipelines: [RESTAURANT],
    coordinatorUrl: coordinator.baseUrl,
    env: tracingEnv(receiver.endpoint),
  });
  await waitForWorkerState(coordinator, worker.workerId, 'HEALTHY');
  const api = apiClient(coordinator.baseUrl);
  const submitted = await api.submit({ pipelineId: PIPELINE, input: newOrder() });
  assert.equal(submitted.status, 200, JSON.stringify(submitted.body));
  const id = submitted.body.executionId as string;
  assert.equal((await api.result(id)).body.status.status, 'WAITING_EXTERNAL');

  const remote = await eventually('the worker segment span', () =>
    receiver.spans.find((s) => s.name === 'worker.segment' && s.attributes['capstan.execution_id'] === id),
  );
  assert.equal(remote.parentSpanId, '', 'the call carried no traceparent: the worker started a trace');
  assert.deepEqual(
    receiver.spans.filter((s) => s.service !== 'capstan-worker'),
    [],
    'the coordinator exported nothing',
  );
  const history = await api.call('GET', `/tpf/control-plane/tenants/default/executions/${id}/history`);
  const events = (history.body as { events: { type: string; data: Record<string, unknown> }[] }).events;
  assert.equal(events[0]?.type, 'submitted');
  assert.ok(!('traceparent' in (events[0]?.data ?? {})), 'no trace context stored with the execution');
  assert.ok(!coordinator.stdout().includes('tracing enabled'));
});
