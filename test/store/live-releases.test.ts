import assert from 'node:assert/strict';
import { submitted, T0 } from '../support/store-fixtures.ts';
import { forEachStore, openTestStore } from '../support/test-stores.ts';

forEachStore(
  'listLiveReleases counts the non-terminal executions of each release, every tenant',
  async (t, kind) => {
    const { store } = await openTestStore(t, kind);
    assert.deepEqual(await store.listLiveReleases(), []);
    for (const id of ['a', 'b', 'c']) await submitted(store, id);
    await submitted(store, 'd', { releaseVersion: 'r2' });
    await submitted(store, 'e', { tenantId: 'other', pipelineId: 'q' });
    // Terminal executions are not live: a cancelled one leaves its release's count.
    const cancelled = await store.cancel({
      tenantId: 'default',
      executionId: 'c',
      reason: 'test',
      nowMs: T0,
      expiresAtMs: T0 + 60_000,
    });
    assert.equal(cancelled.kind, 'cancelled');
    await submitted(store, 'f', { releaseVersion: 'r3' });
    await store.cancel({
      tenantId: 'default',
      executionId: 'f',
      reason: 'test',
      nowMs: T0,
      expiresAtMs: T0 + 1,
    });

    assert.deepEqual(await store.listLiveReleases(), [
      { tenantId: 'default', pipelineId: 'p', releaseVersion: 'r1', live: 2 },
      { tenantId: 'default', pipelineId: 'p', releaseVersion: 'r2', live: 1 },
      { tenantId: 'other', pipelineId: 'q', releaseVersion: 'r1', live: 1 },
    ]);
  },
);
