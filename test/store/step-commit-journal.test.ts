// What the fenced step commits write on both stores, event by event: the journal is the
// execution's history (the projection is rebuilt from it), so each event must carry exactly
// what happened: checkpoint, success, suspension, retry, DLQ or FAILED, with the DLQ's
// publication and nothing else in the outbox, and error messages bounded.
import assert from 'node:assert/strict';
import type { FailureDecision } from '../../src/domain/retry-policy.ts';
import type { Publication, Store } from '../../src/store/store-port.ts';
import { claimOne, get, leader, newInteraction, parked, submitted, T0 } from '../support/store-fixtures.ts';
import { forEachStore, openTestStore } from '../support/test-stores.ts';

const lastEvent = async (store: Store, id: string) => (await store.readJournal(id, 0, 1000)).at(-1);

async function running(store: Store, id: string) {
  await submitted(store, id);
  const { execution } = await claimOne(store);
  return { executionId: id, leaseEpoch: execution.leaseEpoch };
}

const failWith = (
  store: Store,
  fence: { executionId: string; leaseEpoch: number },
  decision: FailureDecision,
  o: { message?: string; publication?: Publication } = {},
) =>
  store.fail({
    ...fence,
    stepIndex: 0,
    failure: { errorCode: 'boom', errorMessage: o.message ?? 'it broke' },
    decision,
    publication: o.publication,
    nowMs: T0 + 10,
    expiresAtMs: T0 + 99_000,
  });

const publication = (id: string): Publication => ({ topic: 'capstan.dlq', payload: { executionId: id } });

forEachStore('checkpoint and success journal the step, its output and the result', async (t, kind) => {
  const { store } = await openTestStore(t, kind);
  const fence = await running(store, 'x');
  assert.equal(await store.checkpointStep({ ...fence, stepIndex: 0, output: { n: 1 }, nowMs: T0 + 1 }), true);
  assert.deepEqual(await lastEvent(store, 'x'), {
    executionId: 'x',
    seq: (await get(store, 'x'))?.version,
    type: 'step_completed',
    atMs: T0 + 1,
    data: { stepIndex: 0, output: { n: 1 } },
  });
  assert.equal(
    await store.succeed({
      ...fence,
      stepIndex: 1,
      result: { total: 2 },
      nowMs: T0 + 2,
      expiresAtMs: T0 + 50,
    }),
    true,
  );
  assert.deepEqual(await lastEvent(store, 'x'), {
    executionId: 'x',
    seq: (await get(store, 'x'))?.version,
    type: 'succeeded',
    atMs: T0 + 2,
    data: { stepIndex: 1, result: { total: 2 }, expiresAtMs: T0 + 50 },
  });
  assert.deepEqual(await store.getStepOutput('x', 1), { output: { total: 2 } }, 'the last step checkpointed');
});

forEachStore('a step that returns nothing succeeds with a null result', async (t, kind) => {
  const { store } = await openTestStore(t, kind);
  const fence = await running(store, 'x');
  assert.equal(
    await store.succeed({ ...fence, stepIndex: 0, result: undefined, nowMs: T0 + 2, expiresAtMs: T0 + 50 }),
    true,
  );
  assert.deepEqual((await lastEvent(store, 'x'))?.data, { stepIndex: 0, result: null, expiresAtMs: T0 + 50 });
  assert.deepEqual(await store.getStepOutput('x', 0), { output: null });
});

forEachStore('a suspension journals the interaction it opened', async (t, kind) => {
  const { store } = await openTestStore(t, kind);
  await parked(store, 'x', { requestPayload: undefined });
  const event = await lastEvent(store, 'x');
  assert.equal(event?.type, 'suspended');
  assert.deepEqual(event?.data, {
    stepIndex: 0,
    interaction: { ...newInteraction('x'), requestPayload: null },
  });
  await parked(store, 'y');
  assert.deepEqual((await lastEvent(store, 'y'))?.data, { stepIndex: 0, interaction: newInteraction('y') });
});

forEachStore(
  'a terminal failure: DLQ journals moved_to_dlq with its publication; FAILED neither',
  async (t, kind) => {
    const { store } = await openTestStore(t, kind);
    const toDlq = await running(store, 'd');
    assert.equal(
      await failWith(
        store,
        toDlq,
        { kind: 'dlq', reason: 'retry_exhausted' },
        { publication: publication('d') },
      ),
      true,
    );
    assert.deepEqual(await lastEvent(store, 'd'), {
      executionId: 'd',
      seq: (await get(store, 'd'))?.version,
      type: 'moved_to_dlq',
      atMs: T0 + 10,
      data: {
        stepIndex: 0,
        reason: 'retry_exhausted',
        errorCode: 'boom',
        errorMessage: 'it broke',
        expiresAtMs: T0 + 99_000,
      },
    });
    const toFailed = await running(store, 'f');
    // A publication handed with a FAILED decision is not the DLQ's: it is not written.
    assert.equal(
      await failWith(
        store,
        toFailed,
        { kind: 'failed', reason: 'non_retryable' },
        { publication: publication('f') },
      ),
      true,
    );
    const failed = await lastEvent(store, 'f');
    assert.equal(failed?.type, 'failed');
    assert.equal((await get(store, 'f'))?.status, 'FAILED');
    assert.deepEqual(
      (await store.readOutbox(10)).map((m) => m.payload),
      [{ executionId: 'd' }],
      'only the DLQ publication reached the outbox',
    );
  },
);

forEachStore(
  'error messages are kept to 2000 characters, in the projection and the journal',
  async (t, kind) => {
    const { store } = await openTestStore(t, kind);
    const long = 'e'.repeat(3000);
    const fence = await running(store, 'x');
    assert.equal(
      await failWith(store, fence, { kind: 'retry', attempt: 1, dueAtMs: T0 + 20 }, { message: long }),
      true,
    );
    assert.equal((await get(store, 'x'))?.errorMessage, 'e'.repeat(2000));
    assert.equal((await lastEvent(store, 'x'))?.data.errorMessage, 'e'.repeat(2000));
    const again = await claimOne(store, T0 + 20);
    const terminal = { executionId: 'x', leaseEpoch: again.execution.leaseEpoch };
    assert.equal(
      await failWith(store, terminal, { kind: 'failed', reason: 'non_retryable' }, { message: long }),
      true,
    );
    assert.equal((await get(store, 'x'))?.errorMessage, 'e'.repeat(2000));
    assert.equal((await lastEvent(store, 'x'))?.data.errorMessage, 'e'.repeat(2000));
  },
);

forEachStore('a timed-out interaction names itself in the terminal event', async (t, kind) => {
  const { store } = await openTestStore(t, kind);
  await parked(store, 'x');
  assert.equal(
    await store.timeOutInteraction({
      leader: await leader(store),
      interactionId: 'i-x',
      reason: 'await_timeout',
      terminalStatus: 'FAILED',
      publication: undefined,
      nowMs: T0 + 60_000,
      expiresAtMs: T0 + 120_000,
    }),
    true,
  );
  const event = await lastEvent(store, 'x');
  assert.equal(event?.type, 'failed');
  assert.equal(event?.data.interactionId, 'i-x');
  assert.equal(event?.data.reason, 'await_timeout');
});
