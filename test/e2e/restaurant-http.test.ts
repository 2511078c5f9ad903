import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import {
  ADMIN_TOKEN,
  apiClient,
  startCoordinatorProcess,
  type ApiResponse,
} from '../support/coordinator-process.ts';
import { eventually, until } from '../support/eventually.ts';
import { APPROVED_ORDER_HISTORY } from '../support/restaurant-order.ts';

const orderInput = (customerName: string) => ({
  requestId: randomUUID(),
  customerName,
  restaurantName: 'Cafe Capstan',
  items: '2x pasta',
  totalAmount: '27.50',
  currency: 'EUR',
});

type Api = ReturnType<typeof apiClient>;

async function waitForInteraction(api: Api, executionId: string) {
  const settled = await api.result(executionId);
  assert.equal(settled.body.status.status, 'WAITING_EXTERNAL');
  const pending = await api.pending('?stepId=await-restaurant-decision');
  assert.equal(pending.status, 200);
  assert.ok(Array.isArray(pending.body), 'the pending inbox is a bare array');
  const interaction = (
    pending.body as {
      executionId: string;
      interactionId: string;
      stepId: string;
      requestPayload: { orderId: string };
    }[]
  ).find((i) => i.executionId === executionId);
  assert.ok(interaction, 'the execution has a pending interaction');
  assert.equal(interaction.stepId, 'await-restaurant-decision');
  return interaction;
}

test('accepted (plain JSON) and declined (TPF envelopes) flows over HTTP', async (t) => {
  const coordinator = await startCoordinatorProcess(t);
  const api = apiClient(coordinator.baseUrl);

  // Accepted, plain JSON payloads.
  const submitted = await api.submit({
    pipelineId: 'restaurant-approval',
    input: orderInput('Ada Lovelace'),
    idempotencyKey: 'order-ada',
  });
  assert.equal(submitted.status, 200, JSON.stringify(submitted.body));
  assert.equal(submitted.body.duplicate, false);
  assert.match(submitted.body.contractVersion, /^sha256:[0-9a-f]{64}$/);
  const ada = await waitForInteraction(api, submitted.body.executionId);
  const completed = await api.complete({
    interactionId: ada.interactionId,
    idempotencyKey: `complete-${ada.interactionId}`,
    response: {
      accepted: { orderId: ada.requestPayload.orderId, decidedAt: new Date().toISOString(), note: 'ok' },
    },
    actor: 'e2e',
  });
  assert.equal(completed.status, 200, JSON.stringify(completed.body));
  assert.equal(completed.body.duplicate, false);
  const adaResult = await api.result(submitted.body.executionId);
  assert.equal(adaResult.body.status.status, 'SUCCEEDED');
  assert.equal(adaResult.body.result.outcome, 'APPROVED');
  assert.equal(JSON.parse(adaResult.body.resultPayload.payload as string).outcome, 'APPROVED');
  assert.notEqual(adaResult.body.resultPayload.payloadTypeId, 'java.util.Map');

  // Declined, TPF's envelope forms: a DTO input payload and a java.util.Map items-encoded response.
  const input = orderInput('Grace Hopper');
  const grace = await api.submit({
    pipelineId: 'restaurant-approval',
    inputShape: 'UNI',
    inputPayload: {
      payloadTypeId: 'org.pipelineframework.restaurantapproval.PlaceRestaurantOrderRequestDto',
      payloadEncoding: 'application/tpf-transition+json',
      payload: JSON.stringify(input),
    },
    idempotencyKey: `order-${input.requestId}`,
  });
  assert.equal(grace.status, 200, JSON.stringify(grace.body));
  const interaction = await waitForInteraction(api, grace.body.executionId);
  const decision = {
    declined: {
      orderId: interaction.requestPayload.orderId,
      decidedAt: new Date().toISOString(),
      note: 'busy',
      declineReason: 'Kitchen is overloaded',
    },
  };
  const envelopeCompletion = {
    interactionId: interaction.interactionId,
    idempotencyKey: `complete-${interaction.interactionId}`,
    responsePayload: {
      payloadTypeId: 'java.util.Map',
      payloadEncoding: 'application/tpf-transition+json',
      payload: JSON.stringify({ items: decision }),
    },
    actor: 'restaurant-self-host-demo',
  };
  assert.equal((await api.complete(envelopeCompletion)).status, 200);
  const graceResult = await api.result(grace.body.executionId);
  assert.equal(graceResult.body.status.status, 'SUCCEEDED');
  assert.equal(JSON.parse(graceResult.body.resultPayload.payload as string).outcome, 'DECLINED');

  // The same decision again, in the plain form, is the same payload: a duplicate.
  const again = await api.complete({ interactionId: interaction.interactionId, response: decision });
  assert.equal(again.status, 200);
  assert.equal(again.body.duplicate, true);
  const different = await api.complete({
    interactionId: interaction.interactionId,
    response: { accepted: decision.declined },
  });
  assert.equal(different.status, 409);
  assert.equal(different.body.error.code, 'interaction_conflict');

  // Idempotent submit: same key and input → the same execution; other input → 409.
  const dup = await api.submit({
    pipelineId: 'restaurant-approval',
    input: orderInput('Ada Lovelace'),
    idempotencyKey: 'order-ada',
  });
  assert.equal(dup.status, 409, 'a new requestId is different input under the same key');
  const same = await api.submit(
    {
      pipelineId: 'restaurant-approval',
      inputShape: 'UNI',
      inputPayload: {
        payloadTypeId: 'x.Dto',
        payloadEncoding: 'application/tpf-transition+json',
        payload: JSON.stringify(input),
      },
    },
    { 'Idempotency-Key': `order-${input.requestId}` },
  );
  assert.equal(same.status, 200);
  assert.equal(same.body.duplicate, true);
  assert.equal(same.body.executionId, grace.body.executionId);

  const history = await api.call(
    'GET',
    `/tpf/control-plane/tenants/default/executions/${grace.body.executionId}/history`,
  );
  assert.deepEqual(
    (history.body.events as { type: string }[]).map((e) => e.type),
    APPROVED_ORDER_HISTORY,
  );
});

test('incident: a wrong-order decision goes to the DLQ, is logged, re-driven, and fails again', async (t) => {
  const coordinator = await startCoordinatorProcess(t, { env: { PIPELINE_ORCHESTRATOR_MAX_RETRIES: '0' } });
  const api = apiClient(coordinator.baseUrl);
  const submitted = await api.submit({
    pipelineId: 'restaurant-approval',
    input: orderInput('Katherine Johnson'),
    idempotencyKey: 'order-kj',
  });
  const interaction = await waitForInteraction(api, submitted.body.executionId);
  const bad = await api.complete({
    interactionId: interaction.interactionId,
    response: {
      accepted: { orderId: 'not-a-uuid', decidedAt: new Date().toISOString(), note: 'faulty kitchen' },
    },
  });
  assert.equal(bad.status, 200, 'valid in shape, so the completion is accepted');
  const failed = await api.result(submitted.body.executionId);
  const terminal = failed.body.status as {
    status: string;
    errorCode: string;
    errorMessage: string;
    version: number;
    dlqReason: string;
  };
  assert.equal(terminal.status, 'DLQ');
  assert.equal(terminal.dlqReason, 'non_retryable');
  assert.equal(terminal.errorCode, 'decision_order_mismatch');
  assert.ok(terminal.errorMessage.length > 0);
  await until(
    'the DLQ log line for the execution',
    () =>
      coordinator.output().includes('Execution moved to DLQ') &&
      coordinator.output().includes(submitted.body.executionId),
  );

  const operatorTry = await api.redrive(submitted.body.executionId, { expectedVersion: terminal.version });
  assert.equal(operatorTry.status, 403, 'the operator token does not open the admin surface');
  const admin = apiClient(coordinator.baseUrl, ADMIN_TOKEN);
  const stale = await admin.redrive(submitted.body.executionId, { expectedVersion: terminal.version - 1 });
  assert.equal(stale.status, 409);
  assert.equal(stale.body.error.code, 'execution_version_conflict');
  const redriven = await admin.redrive(submitted.body.executionId, {
    expectedVersion: terminal.version,
    reason: 'self-host incident demo re-drive',
    allowFailed: true,
  });
  assert.equal(redriven.status, 200, JSON.stringify(redriven.body));
  assert.equal(redriven.body.previousStatus, 'DLQ');
  assert.equal(redriven.body.status, 'QUEUED');
  const again = await eventually('the re-driven execution back in the DLQ', async () => {
    const answer = await api.result(submitted.body.executionId);
    return answer.body.status.status === 'DLQ' ? answer : undefined;
  });
  assert.ok(again.body.status.version > terminal.version, 'the version advanced');
  assert.equal(again.body.status.errorCode, 'decision_order_mismatch');
});

test('auth and bad input are 4xx with a stable code, and the coordinator stays healthy', async (t) => {
  const coordinator = await startCoordinatorProcess(t, { env: { CAPSTAN_HTTP_BODY_LIMIT_BYTES: '4096' } });
  const api = apiClient(coordinator.baseUrl);
  const anonymous = apiClient(coordinator.baseUrl, null);
  const wrong = apiClient(coordinator.baseUrl, 'not-a-token');
  const admin = apiClient(coordinator.baseUrl, ADMIN_TOKEN);
  const expect = (r: ApiResponse, status: number, code: string) => {
    assert.equal(r.status, status, JSON.stringify(r.body));
    assert.equal(r.body.error.code, code);
  };
  expect(await anonymous.pending(), 401, 'unauthorized');
  expect(await wrong.pending(), 401, 'unauthorized');
  assert.equal((await admin.pending()).status, 200, 'admin ⊇ operator');
  expect(await api.submit('{"pipelineId": '), 400, 'invalid_json');
  expect(await api.submit('pipelineId=x', { 'content-type': 'text/plain' }), 415, 'unsupported_media_type');
  expect(await api.submit({ pipelineId: 'restaurant-approval' }), 400, 'invalid_request');
  expect(
    await api.submit({ pipelineId: 'restaurant-approval', input: { requestId: 'nope' } }),
    400,
    'invalid_input',
  );
  expect(await api.submit({ pipelineId: 'no-such-pipeline', input: {} }), 404, 'pipeline_not_found');
  expect(
    await api.submit({ pipelineId: 'x', inputPayload: { payload: '{not json' } }),
    400,
    'invalid_payload_envelope',
  );
  expect(await api.submit({ pipelineId: 'x', input: 'x'.repeat(8_000) }), 413, 'payload_too_large');
  expect(await api.status(randomUUID()), 404, 'execution_not_found');
  expect(
    await api.call('GET', '/tpf/control-plane/tenants/bad%20tenant/interactions/pending'),
    400,
    'invalid_tenant_id',
  );
  expect(await api.complete({ interactionId: randomUUID(), response: {} }), 404, 'interaction_not_found');
  expect(await api.complete({ response: {} }), 400, 'invalid_request');
  expect(
    await api.call('GET', '/tpf/control-plane/tenants/default/executions/x/result?waitMs=999999'),
    400,
    'invalid_request',
  );
  expect(await api.call('GET', '/nowhere'), 404, 'route_not_found');
  for (const path of ['/api/health', '/api/ready', '/q/health/live']) {
    assert.equal((await anonymous.call('GET', path)).status, 200, path);
  }
  const ok = await api.submit({ pipelineId: 'restaurant-approval', input: orderInput('Still Works') });
  assert.equal(ok.status, 200);
  assert.equal((await api.result(ok.body.executionId)).body.status.status, 'WAITING_EXTERNAL');
  const cancelled = await api.cancel(ok.body.executionId);
  assert.equal(cancelled.body.status, 'CANCELLED');
  assert.equal((await api.cancel(ok.body.executionId)).status, 200);
});
