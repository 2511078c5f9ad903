import assert from 'node:assert/strict';
import { submitted, T0 } from '../support/store-fixtures.ts';
import { forEachStore, openTestStore } from '../support/test-stores.ts';

const registration = (workerId: string) => ({
  tenantId: 'default',
  pipelineId: 'p',
  workerId,
  contractVersion: 'sha256:contract',
  releaseVersion: 'r1',
  protocol: 'rest',
  endpoint: `http://127.0.0.1:1/${workerId}`,
  artifactId: null,
  artifactDigest: null,
});

forEachStore('operationalCounts groups executions, due work, awaits and workers', async (t, kind) => {
  const { store } = await openTestStore(t, kind);
  const empty = await store.operationalCounts(T0, T0);
  assert.deepEqual(empty.executions, []);
  assert.deepEqual(empty.due, { count: 0, oldestDueAtMs: undefined });
  assert.deepEqual(empty.pending, { count: 0, oldestDeadlineAtMs: undefined });
  assert.deepEqual(empty.workers, []);

  const batches: number[] = [];
  const stop = store.observeCommits((seconds, commands) => {
    assert.ok(seconds >= 0);
    batches.push(commands);
  });
  await Promise.all(['a', 'b'].map((id) => submitted(store, id)));
  await submitted(store, 'c', { nowMs: T0 + 1000 });
  await submitted(store, 'x', { tenantId: 'other', pipelineId: 'q', nowMs: T0 + 5000 });
  await store.cancel({
    tenantId: 'default',
    executionId: 'c',
    reason: 'test',
    nowMs: T0,
    expiresAtMs: T0 + 60_000,
  });
  stop();
  await submitted(store, 'unseen', { tenantId: 'other', pipelineId: 'q', nowMs: T0 + 10_000 });
  assert.equal(
    batches.reduce((a, b) => a + b, 0),
    5,
    'every command of the watched span, in its transaction',
  );
  assert.ok(batches.includes(2), 'two submits issued together share one transaction');

  await store.registerWorker(registration('old'), { atMs: T0, keepEndpoint: true });
  await store.registerWorker(registration('fresh'), { atMs: T0 + 100_000, keepEndpoint: true });

  const counts = await store.operationalCounts(T0 + 6000, T0 + 50_000);
  const byKey = Object.fromEntries(
    counts.executions.map((e) => [`${e.tenantId}/${e.pipelineId}/${e.status}`, e.count]),
  );
  assert.deepEqual(byKey, {
    'default/p/QUEUED': 2,
    'default/p/CANCELLED': 1,
    'other/q/QUEUED': 2,
  });
  // Due at T0 + 6 s: a, b (T0) and x (T0 + 5 s); `unseen` is due later.
  assert.deepEqual(counts.due, { count: 3, oldestDueAtMs: T0 });
  assert.deepEqual(
    [...counts.workers].sort((l, r) => l.state.localeCompare(r.state)),
    [
      { state: 'HEALTHY', count: 1 },
      { state: 'STALE', count: 1 },
    ],
  );
});
