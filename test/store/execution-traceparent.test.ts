import assert from 'node:assert/strict';
import { claim, get, submitted } from '../support/store-fixtures.ts';
import { forEachStore, openTestStore } from '../support/test-stores.ts';

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

forEachStore(
  'the submit trace context is kept with the execution, claimed with it and rebuilt from the journal',
  async (t, kind) => {
    const { store } = await openTestStore(t, kind);
    // Submitted together, so PostgreSQL inserts both in one batch: each keeps its own.
    const [traced, untraced] = await Promise.all([
      submitted(store, 'traced', { traceparent: TRACEPARENT }),
      submitted(store, 'untraced'),
    ]);
    assert.equal(traced.traceparent, TRACEPARENT);
    assert.equal(untraced.traceparent, null);

    const [submittedEvent] = await store.readJournal('traced', 0, 1);
    assert.equal(submittedEvent?.data.traceparent, TRACEPARENT);
    const [untracedEvent] = await store.readJournal('untraced', 0, 1);
    assert.ok(untracedEvent && !('traceparent' in untracedEvent.data), 'an untraced submit writes no key');

    const claimed = await claim(store);
    assert.deepEqual(
      Object.fromEntries(claimed.map((c) => [c.execution.executionId, c.execution.traceparent])),
      { traced: TRACEPARENT, untraced: null },
    );

    await store.rebuildProjections();
    assert.equal((await get(store, 'traced'))?.traceparent, TRACEPARENT);
    assert.equal((await get(store, 'untraced'))?.traceparent, null);
  },
);
