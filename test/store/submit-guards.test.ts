// The submit guard on both stores: one execution per idempotency key within (tenant, pipeline);
// a repeat with the same input is a duplicate, with another input a conflict, and neither
// writes anything; the `submitted` event records what was submitted.
import assert from 'node:assert/strict';
import { get, journalTypes, submitCommand, submitted, T0 } from '../support/store-fixtures.ts';
import { forEachStore, openTestStore } from '../support/test-stores.ts';

forEachStore('the submitted event records the whole submission', async (t, kind) => {
  const { store } = await openTestStore(t, kind);
  const execution = await submitted(store, 'x', { input: { order: 7 } });
  assert.equal(execution.status, 'QUEUED');
  const events = await store.readJournal('x', 0, 10);
  assert.equal(events.length, 1);
  assert.deepEqual(events[0], {
    executionId: 'x',
    seq: 1,
    type: 'submitted',
    atMs: T0,
    data: {
      tenantId: 'default',
      pipelineId: 'p',
      contractVersion: 'sha256:contract',
      releaseVersion: 'r1',
      executionKey: 'key-x',
      inputFingerprint: 'fp-x',
      input: { order: 7 },
    },
  });
});

forEachStore('same key and input: a duplicate of the first, nothing written', async (t, kind) => {
  const { store } = await openTestStore(t, kind);
  const first = await submitted(store, 'x');
  const again = await store.submit(submitCommand('y', { executionKey: 'key-x', inputFingerprint: 'fp-x' }));
  assert.equal(again.kind, 'duplicate');
  assert.equal(again.execution.executionId, 'x', 'the first execution answers');
  assert.equal(again.execution.version, first.version);
  assert.equal(await get(store, 'y'), undefined, 'no second execution');
  assert.deepEqual(await journalTypes(store, 'x'), ['submitted']);
});

forEachStore('same key, another input: a conflict naming the first, nothing written', async (t, kind) => {
  const { store } = await openTestStore(t, kind);
  await submitted(store, 'x');
  const other = await store.submit(
    submitCommand('y', { executionKey: 'key-x', inputFingerprint: 'fp-other', input: { other: true } }),
  );
  assert.equal(other.kind, 'conflict');
  assert.equal(other.execution.executionId, 'x');
  assert.equal(other.execution.inputFingerprint, 'fp-x');
  assert.equal(await get(store, 'y'), undefined);
  assert.deepEqual(await journalTypes(store, 'y'), []);
});

forEachStore('the key is scoped to (tenant, pipeline): elsewhere it creates', async (t, kind) => {
  const { store } = await openTestStore(t, kind);
  await submitted(store, 'x');
  await submitted(store, 'y', { executionKey: 'key-x', inputFingerprint: 'fp-x', pipelineId: 'q' });
  await submitted(store, 'z', { executionKey: 'key-x', inputFingerprint: 'fp-x', tenantId: 'acme' });
});

forEachStore(
  'submits racing on one key: one creates, the rest are duplicates or conflicts',
  async (t, kind) => {
    const { store } = await openTestStore(t, kind);
    const commands = ['a', 'b', 'c', 'd'].map((id, i) =>
      submitCommand(id, { executionKey: 'shared', inputFingerprint: i % 2 ? 'odd' : 'even' }),
    );
    const outcomes = await Promise.all(commands.map((c) => store.submit(c)));
    const created = outcomes.filter((o) => o.kind === 'created');
    assert.equal(created.length, 1);
    const winner = created[0]?.execution;
    assert.ok(winner);
    outcomes.forEach((o, i) => {
      if (o.kind === 'created') return;
      assert.equal(o.execution.executionId, winner.executionId);
      const same = commands[i]?.inputFingerprint === winner.inputFingerprint;
      assert.equal(o.kind, same ? 'duplicate' : 'conflict', `submit ${i}`);
    });
    assert.deepEqual(outcomes.map((o) => o.kind).sort(), ['conflict', 'conflict', 'created', 'duplicate']);
  },
);
