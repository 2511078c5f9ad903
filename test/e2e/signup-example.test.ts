import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { apiClient, startCoordinatorProcess } from '../support/coordinator-process.ts';

/**
 * examples/signup-onboarding as its README runs it, on a real coordinator process: submit, the
 * confirmation e-mail's interaction, then a charge whose first answer is lost (it times out
 * after the provider charged) and whose retry, under the same key, charges nothing more.
 */
const PIPELINE = join(resolve(import.meta.dirname, '../..'), 'examples/signup-onboarding/pipeline.ts');

type Api = ReturnType<typeof apiClient>;

async function confirmEmail(api: Api, executionId: string, typed = (code: string) => code) {
  const parked = await api.result(executionId);
  assert.equal(parked.body.status.status, 'WAITING_EXTERNAL', JSON.stringify(parked.body));
  const pending = await api.pending('?stepId=await-email-confirmation');
  const interaction = (
    pending.body as { executionId: string; interactionId: string; requestPayload: { code: string } }[]
  ).find((i) => i.executionId === executionId);
  assert.ok(interaction, 'the execution waits for the e-mail confirmation');
  const completed = await api.complete({
    interactionId: interaction.interactionId,
    response: { code: typed(interaction.requestPayload.code) },
  });
  assert.equal(completed.status, 200, JSON.stringify(completed.body));
}

test('signup-onboarding: confirm the e-mail, a lost charge reply is retried under the same key, activated', async (t) => {
  const coordinator = await startCoordinatorProcess(t, { pipelines: [PIPELINE] });
  const api = apiClient(coordinator.baseUrl);

  const submitted = await api.submit({
    pipelineId: 'signup-onboarding',
    idempotencyKey: 'signup-ada',
    input: { email: 'ada@example.com', name: 'Ada', plan: 'pro', cardToken: 'tok_slow_network' },
  });
  assert.equal(submitted.status, 200, JSON.stringify(submitted.body));
  const executionId = submitted.body.executionId as string;
  await confirmEmail(api, executionId);

  // The first try of the charge hangs past its 2 s timeout; the retry waits about 1 s.
  const done = await api.result(executionId, 20_000);
  assert.equal(done.body.status.status, 'SUCCEEDED', JSON.stringify(done.body));
  const result = done.body.result as {
    status: string;
    payment: { chargeId: string; amountCents: number; attempt: number; providerCharges: number };
  };
  assert.equal(result.status, 'ACTIVE');
  assert.equal(result.payment.amountCents, 1200);
  assert.match(result.payment.chargeId, /^ch_/);
  assert.equal(result.payment.attempt, 1, 'the second try succeeded');
  assert.equal(result.payment.providerCharges, 1, 'two tries, one charge');

  const history = await api.call(
    'GET',
    `/tpf/control-plane/tenants/default/executions/${executionId}/history`,
  );
  const retries = (history.body.events as { type: string; data: { errorCode?: string } }[]).filter(
    (e) => e.type === 'retry_scheduled',
  );
  assert.deepEqual(
    retries.map((e) => e.data.errorCode),
    ['step_timeout'],
    'the lost reply was a timed-out try',
  );
});

test('signup-onboarding: a free plan needs no charge; a wrong code or a declined card goes to the DLQ', async (t) => {
  const coordinator = await startCoordinatorProcess(t, { pipelines: [PIPELINE] });
  const api = apiClient(coordinator.baseUrl);
  const free = await api.submit({
    pipelineId: 'signup-onboarding',
    input: { email: 'grace@example.com', name: 'Grace', plan: 'free' },
  });
  await confirmEmail(api, free.body.executionId as string);
  const activated = await api.result(free.body.executionId as string);
  assert.equal(activated.body.status.status, 'SUCCEEDED', JSON.stringify(activated.body));
  assert.deepEqual(
    [activated.body.result.payment.chargeId, activated.body.result.payment.amountCents],
    [null, 0],
  );

  const wrong = await api.submit({
    pipelineId: 'signup-onboarding',
    input: { email: 'eve@example.com', name: 'Eve', plan: 'pro', cardToken: 'tok_visa' },
  });
  const mistyped = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');
  await confirmEmail(api, wrong.body.executionId as string, mistyped);
  const dead = await api.result(wrong.body.executionId as string);
  assert.equal(dead.body.status.status, 'DLQ', JSON.stringify(dead.body));
  assert.equal(dead.body.status.errorCode, 'wrong_confirmation_code');

  const declined = await api.submit({
    pipelineId: 'signup-onboarding',
    input: { email: 'mallory@example.com', name: 'Mallory', plan: 'pro', cardToken: 'tok_declined' },
  });
  await confirmEmail(api, declined.body.executionId as string);
  const refused = await api.result(declined.body.executionId as string);
  assert.equal(refused.body.status.status, 'DLQ', JSON.stringify(refused.body));
  assert.deepEqual(
    [refused.body.status.errorCode, refused.body.status.dlqReason],
    ['card_declined', 'non_retryable'],
  );
});
