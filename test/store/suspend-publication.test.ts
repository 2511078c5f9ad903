import assert from 'node:assert/strict';
import { claim, newInteraction, submitted, T0 } from '../support/store-fixtures.ts';
import { forEachStore, openTestStore } from '../support/test-stores.ts';

// An await step's request is published through the outbox: written by the suspend that parks
// the execution, in its transaction, so a request exists exactly when its park committed.

const publication = (id: string) => ({ topic: 'await.nats', payload: { interactionId: `i-${id}` } });

forEachStore('a suspend writes its publication to the outbox; a lost fence writes none', async (t, kind) => {
  const { store } = await openTestStore(t, kind, { nowMs: () => T0 });
  for (const id of ['a', 'stale', 'plain', 'b']) await submitted(store, id);
  const claimed = await claim(store);
  // Issued in the same turn, so the group commit runs them as one batch.
  const won = await Promise.all(
    claimed.map(({ execution: x }) =>
      store.suspend({
        executionId: x.executionId,
        leaseEpoch: x.leaseEpoch + (x.executionId === 'stale' ? 1 : 0),
        stepIndex: 0,
        interaction: newInteraction(x.executionId),
        publication: x.executionId === 'plain' ? undefined : publication(x.executionId),
        nowMs: T0 + 1,
      }),
    ),
  );
  assert.deepEqual(Object.fromEntries(claimed.map((c, i) => [c.execution.executionId, won[i]])), {
    a: true,
    stale: false,
    plain: true,
    b: true,
  });
  const outbox = await store.readOutbox(10);
  assert.deepEqual(outbox.map((m) => [m.topic, m.payload.interactionId]).sort(), [
    ['await.nats', 'i-a'],
    ['await.nats', 'i-b'],
  ]);
});

forEachStore('a segment commit ending in a suspend writes its publication with it', async (t, kind) => {
  const { store } = await openTestStore(t, kind, { nowMs: () => T0 });
  await submitted(store, 's');
  const [segment] = await claim(store);
  assert.ok(segment);
  const fence = { executionId: 's', leaseEpoch: segment.execution.leaseEpoch };
  const ok = await store.commitSegment({
    ...fence,
    outputs: [{ stepIndex: 0, output: { ready: true } }],
    outcome: {
      kind: 'suspend',
      stepIndex: 1,
      interaction: newInteraction('s'),
      publication: publication('s'),
    },
    nowMs: T0 + 1,
  });
  assert.equal(ok, true);
  assert.deepEqual(
    (await store.readOutbox(10)).map((m) => m.payload.interactionId),
    ['i-s'],
  );
  // The same commit again lost its fence: no second publication.
  assert.equal(
    await store.commitSegment({
      ...fence,
      outputs: [],
      outcome: {
        kind: 'suspend',
        stepIndex: 1,
        interaction: newInteraction('s2'),
        publication: publication('s2'),
      },
      nowMs: T0 + 2,
    }),
    false,
  );
  assert.equal((await store.readOutbox(10)).length, 1);
});
