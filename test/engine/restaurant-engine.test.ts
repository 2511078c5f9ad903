import assert from 'node:assert/strict';
import restaurant from '../../examples/restaurant-approval/pipeline.ts';
import { CapstanError } from '../../src/errors/catalog.ts';
import { order, startEngine } from '../support/engine-harness.ts';
import { forEachStore } from '../support/test-stores.ts';

async function parkOne(engine: Awaited<ReturnType<typeof startEngine>>, key = 'order-1') {
  const { coordinator } = engine;
  const { execution } = await coordinator.submit('default', {
    pipelineId: 'restaurant-approval',
    input: order(),
    idempotencyKey: key,
  });
  await coordinator.tick();
  const parked = await coordinator.status('default', execution.executionId);
  assert.equal(parked.status, 'WAITING_EXTERNAL');
  const [interaction] = await coordinator.pendingInteractions('default', {
    stepId: 'await-restaurant-decision',
    limit: 100,
  });
  assert.ok(interaction, 'a pending interaction exists');
  assert.equal(interaction.executionId, execution.executionId);
  return { execution, interaction, orderId: (interaction.requestPayload as { orderId: string }).orderId };
}

forEachStore('an accepted order runs through the human approval to APPROVED', async (t, kind) => {
  const engine = await startEngine(t, [restaurant], {}, { store: kind });
  const { execution, interaction, orderId } = await parkOne(engine);
  assert.equal(interaction.group, 'restaurant-staff');
  assert.equal(interaction.deadlineAtMs - interaction.createdAtMs, 30 * 60_000);
  const done = await engine.coordinator.completeInteraction('default', {
    interactionId: interaction.interactionId,
    response: { accepted: { orderId, decidedAt: '2026-01-01T00:00:00Z', note: 'ok' } },
    idempotencyKey: `complete-${interaction.interactionId}`,
  });
  assert.equal(done.duplicate, false);
  await engine.coordinator.tick();
  const final = await engine.coordinator.status('default', execution.executionId);
  assert.equal(final.status, 'SUCCEEDED');
  assert.equal((final.result as { outcome: string }).outcome, 'APPROVED');
  assert.equal((final.result as { orderId: string }).orderId, orderId);
});

forEachStore('a declined order ends DECLINED, and a repeated completion is a duplicate', async (t, kind) => {
  const engine = await startEngine(t, [restaurant], {}, { store: kind });
  const { execution, interaction, orderId } = await parkOne(engine);
  const response = {
    declined: { orderId, decidedAt: '2026-01-01T00:00:00Z', note: 'no', declineReason: 'closed' },
  };
  await engine.coordinator.completeInteraction('default', {
    interactionId: interaction.interactionId,
    response,
  });
  const again = await engine.coordinator.completeInteraction('default', {
    interactionId: interaction.interactionId,
    response,
  });
  assert.equal(again.duplicate, true);
  await assert.rejects(
    engine.coordinator.completeInteraction('default', {
      interactionId: interaction.interactionId,
      response: { accepted: { orderId, decidedAt: 'x' } },
    }),
    (e: unknown) => e instanceof CapstanError && e.code === 'interaction_conflict',
  );
  await engine.coordinator.tick();
  const final = await engine.coordinator.status('default', execution.executionId);
  assert.equal((final.result as { outcome: string }).outcome, 'DECLINED');
});

forEachStore(
  'a response that breaks the schema is refused and leaves the execution parked',
  async (t, kind) => {
    const engine = await startEngine(t, [restaurant], {}, { store: kind });
    const { execution, interaction } = await parkOne(engine);
    await assert.rejects(
      engine.coordinator.completeInteraction('default', {
        interactionId: interaction.interactionId,
        response: { maybe: {} },
      }),
      (e: unknown) => e instanceof CapstanError && e.code === 'invalid_response',
    );
    assert.equal(
      (await engine.coordinator.status('default', execution.executionId)).status,
      'WAITING_EXTERNAL',
    );
  },
);

forEachStore(
  'incident: a decision for another order goes to the DLQ, is re-driven, and fails again with a newer version',
  async (t, kind) => {
    const engine = await startEngine(t, [restaurant], { maxRetries: 0 }, { store: kind });
    const { execution, interaction } = await parkOne(engine);
    await engine.coordinator.completeInteraction('default', {
      interactionId: interaction.interactionId,
      response: { accepted: { orderId: 'not-a-uuid', decidedAt: '2026-01-01T00:00:00Z' } },
    });
    await engine.coordinator.tick();
    const failed = await engine.coordinator.status('default', execution.executionId);
    assert.equal(failed.status, 'DLQ');
    assert.equal(failed.dlqReason, 'non_retryable');
    assert.equal(failed.errorCode, 'decision_order_mismatch');
    assert.match(failed.errorMessage ?? '', /not-a-uuid/);
    assert.equal(engine.dlq.length, 1);
    assert.equal(engine.dlq[0]?.payload.executionId, execution.executionId);

    const redriven = await engine.coordinator.redrive('default', execution.executionId, {
      expectedVersion: failed.version,
      reason: 'incident re-drive',
    });
    assert.equal(redriven.previousStatus, 'DLQ');
    assert.equal(redriven.execution.status, 'QUEUED');
    assert.equal(redriven.execution.attempt, 0);
    await assert.rejects(
      engine.coordinator.redrive('default', execution.executionId, { expectedVersion: failed.version }),
      (e: unknown) => e instanceof CapstanError && e.code === 'execution_state_conflict',
    );
    await engine.coordinator.tick();
    const again = await engine.coordinator.status('default', execution.executionId);
    assert.equal(again.status, 'DLQ');
    assert.ok(again.version > failed.version, 'the version advanced');
    assert.equal(again.stepIndex, 3, 'the re-drive resumed at finalize, not from the start');
    assert.equal(engine.dlq.length, 2);
  },
);

forEachStore('an await deadline that passes moves the execution to the DLQ exactly once', async (t, kind) => {
  const engine = await startEngine(t, [restaurant], {}, { store: kind });
  const { execution, interaction } = await parkOne(engine);
  engine.time.advance(30 * 60_000 + 1);
  await engine.coordinator.tick();
  await engine.coordinator.tick();
  const timedOut = await engine.coordinator.status('default', execution.executionId);
  assert.equal(timedOut.status, 'DLQ');
  assert.equal(timedOut.dlqReason, 'await_timeout');
  assert.equal(timedOut.failedStepId, interaction.stepId, 'marked for the DLQ listing (docs/dlq.md)');
  assert.match(timedOut.failureFingerprint ?? '', /^[0-9a-f]{16}$/);
  assert.equal(engine.dlq.length, 1);
  assert.equal(engine.dlq[0]?.payload.fingerprint, timedOut.failureFingerprint, 'the sink sees it too');
  assert.equal(engine.dlq[0]?.payload.stepId, interaction.stepId);
  const stored = await engine.store.findInteraction('default', { interactionId: interaction.interactionId });
  assert.equal(stored?.status, 'TIMED_OUT');
  await assert.rejects(
    engine.coordinator.completeInteraction('default', {
      interactionId: interaction.interactionId,
      response: { accepted: { orderId: 'x', decidedAt: 'y' } },
    }),
    (e: unknown) => e instanceof CapstanError && e.code === 'interaction_closed',
  );
});

forEachStore(
  'submit is idempotent per key, and a key reused with other input is a conflict',
  async (t, kind) => {
    const engine = await startEngine(t, [restaurant], {}, { store: kind });
    const first = await engine.coordinator.submit('default', {
      pipelineId: 'restaurant-approval',
      input: order(),
      idempotencyKey: 'k',
    });
    const reordered = Object.fromEntries(Object.entries(order()).reverse());
    const second = await engine.coordinator.submit('default', {
      pipelineId: 'restaurant-approval',
      input: reordered,
      idempotencyKey: 'k',
    });
    assert.equal(second.duplicate, true);
    assert.equal(second.execution.executionId, first.execution.executionId);
    await assert.rejects(
      engine.coordinator.submit('default', {
        pipelineId: 'restaurant-approval',
        input: order({ items: 'soup' }),
        idempotencyKey: 'k',
      }),
      (e: unknown) => e instanceof CapstanError && e.code === 'idempotency_conflict',
    );
    const other = await engine.coordinator
      .submit('other-tenant', { pipelineId: 'restaurant-approval', input: order(), idempotencyKey: 'k' })
      .catch((e: unknown) => e);
    assert.ok(
      other instanceof CapstanError && other.code === 'pipeline_not_found',
      'keys and releases are per tenant',
    );
    await assert.rejects(
      engine.coordinator.submit('default', {
        pipelineId: 'restaurant-approval',
        input: order({ totalAmount: 'abc' }),
      }),
      (e: unknown) => e instanceof CapstanError && e.code === 'invalid_input',
    );
  },
);

forEachStore(
  'cancel stops a parked execution and closes its interaction; cancelling twice is a no-op',
  async (t, kind) => {
    const engine = await startEngine(t, [restaurant], {}, { store: kind });
    const { execution, interaction } = await parkOne(engine);
    const cancelled = await engine.coordinator.cancel('default', execution.executionId);
    assert.equal(cancelled.status, 'CANCELLED');
    assert.equal(
      (await engine.coordinator.cancel('default', execution.executionId)).version,
      cancelled.version,
    );
    const stored = await engine.store.findInteraction('default', {
      interactionId: interaction.interactionId,
    });
    assert.equal(stored?.status, 'CANCELLED');
    assert.deepEqual(await engine.coordinator.pendingInteractions('default', { limit: 10 }), []);
  },
);
