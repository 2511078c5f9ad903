// The DLQ as a list on both stores: a failure that ends in the DLQ keeps its fingerprint and
// step; the listing filters and pages newest first; the groups count by fingerprint; a re-drive
// takes an execution out of both and clears its mark.
import assert from 'node:assert/strict';
import type { DlqReason } from '../../src/domain/execution-status.ts';
import { failureFingerprint } from '../../src/dlq/failure-fingerprint.ts';
import type { Store } from '../../src/store/store-port.ts';
import { get, submitted, T0 } from '../support/store-fixtures.ts';
import { forEachStore, openTestStore } from '../support/test-stores.ts';

interface Dlqd {
  readonly pipelineId?: string;
  readonly releaseVersion?: string;
  readonly stepId?: string;
  readonly errorCode?: string;
  readonly message?: string;
  readonly reason?: DlqReason;
  readonly atMs: number;
  /** False: entered the DLQ without a mark, as before fingerprints were kept. */
  readonly marked?: boolean;
}

/** Submits, claims and fails `id` into the DLQ at `atMs`, marked as the coordinator marks it. */
async function dlqd(store: Store, id: string, o: Dlqd): Promise<void> {
  const pipelineId = o.pipelineId ?? 'orders';
  const releaseVersion = o.releaseVersion ?? 'r1';
  await submitted(store, id, { pipelineId, releaseVersion, nowMs: o.atMs - 10 });
  const { segments } = await store.claimDue({
    nowMs: o.atMs - 5,
    limit: 1,
    owner: 'node-a',
    leaseMs: 60_000,
    routes: [{ tenantId: 'default', pipelineId, releaseVersion }],
  });
  const claimed = segments[0];
  assert.ok(claimed, `${id} claimed`);
  const stepId = o.stepId ?? 'charge';
  const errorCode = o.errorCode ?? 'card_declined';
  // Each execution's own order number: the fingerprint does not see it.
  const errorMessage = o.message ?? `card of order ${id.charCodeAt(0) * 7} declined`;
  const mark =
    o.marked === false
      ? {}
      : { stepId, fingerprint: failureFingerprint({ pipelineId, stepId, errorCode, errorMessage }) };
  const ok = await store.fail({
    executionId: id,
    leaseEpoch: claimed.execution.leaseEpoch,
    stepIndex: 0,
    failure: { errorCode, errorMessage, ...mark },
    decision: { kind: 'dlq', reason: o.reason ?? 'retry_exhausted' },
    publication: undefined,
    nowMs: o.atMs,
    expiresAtMs: o.atMs + 1e9,
  });
  assert.equal(ok, true);
}

const ids = (xs: readonly { executionId: string }[]) => xs.map((x) => x.executionId);

forEachStore(
  'a DLQ entry keeps a fingerprint shared by failures that differ only in their ids',
  async (t, kind) => {
    const { store } = await openTestStore(t, kind);
    await dlqd(store, 'a', {
      atMs: T0 + 1000,
      message: 'order 3f2b8c1e-9d4a-4e8b-a1c2-0f9e8d7c6b5a: amount 12 declined',
    });
    await dlqd(store, 'b', {
      atMs: T0 + 2000,
      message: 'order 0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9: amount 9000 declined',
    });
    await dlqd(store, 'c', { atMs: T0 + 3000, message: 'gateway timed out after 30s' });
    const [a, b, c] = [await get(store, 'a'), await get(store, 'b'), await get(store, 'c')];
    assert.match(a?.failureFingerprint ?? '', /^[0-9a-f]{16}$/);
    assert.equal(a?.failureFingerprint, b?.failureFingerprint);
    assert.notEqual(a?.failureFingerprint, c?.failureFingerprint);
    assert.equal(a?.failedStepId, 'charge');
    const event = (await store.readJournal('a', 0, 100)).at(-1);
    assert.equal(event?.type, 'moved_to_dlq');
    assert.equal(event?.data.fingerprint, a?.failureFingerprint, 'the journal keeps it, for a rebuild');
    assert.equal(event?.data.stepId, 'charge');
  },
);

forEachStore('the listing filters by pipeline, reason, fingerprint, code and release', async (t, kind) => {
  const { store } = await openTestStore(t, kind);
  await dlqd(store, 'a', { atMs: T0 + 1000 });
  await dlqd(store, 'b', { atMs: T0 + 2000, pipelineId: 'refunds' });
  await dlqd(store, 'c', { atMs: T0 + 3000, reason: 'non_retryable', errorCode: 'fraud' });
  await dlqd(store, 'd', { atMs: T0 + 4000, releaseVersion: 'r2' });
  await submitted(store, 'live', { pipelineId: 'orders' });
  const list = (f: Parameters<Store['listDlq']>[1]) => store.listDlq('default', f);
  assert.deepEqual(ids(await list({ limit: 10 })), ['d', 'c', 'b', 'a'], 'DLQ only, newest first');
  assert.deepEqual(ids(await list({ limit: 10, pipelineId: 'refunds' })), ['b']);
  assert.deepEqual(ids(await list({ limit: 10, reason: 'non_retryable' })), ['c']);
  assert.deepEqual(ids(await list({ limit: 10, errorCode: 'fraud' })), ['c']);
  assert.deepEqual(ids(await list({ limit: 10, releaseVersion: 'r2' })), ['d']);
  const fingerprint = (await get(store, 'a'))?.failureFingerprint ?? '';
  assert.deepEqual(ids(await list({ limit: 10, fingerprint })), ['d', 'a'], 'the release is not in it');
  assert.deepEqual(ids(await list({ limit: 10, pipelineId: 'orders', reason: 'retry_exhausted' })), [
    'd',
    'a',
  ]);
  assert.deepEqual(await store.listDlq('other-tenant', { limit: 10 }), []);
});

forEachStore('the listing pages by keyset, ties on the instant broken by id', async (t, kind) => {
  const { store } = await openTestStore(t, kind);
  for (const [id, at] of [
    ['a', 1000],
    ['b', 2000],
    ['c', 2000],
    ['d', 2000],
    ['e', 3000],
  ] as const)
    await dlqd(store, id, { atMs: T0 + at });
  const seen: string[] = [];
  let after: { dlqAtMs: number; executionId: string } | undefined;
  for (let page = 0; page < 5; page++) {
    const found = await store.listDlq('default', { limit: 2, after });
    seen.push(...ids(found));
    const last = found.at(-1);
    if (!last || found.length < 2) break;
    after = { dlqAtMs: last.updatedAtMs, executionId: last.executionId };
  }
  assert.deepEqual(seen, ['e', 'd', 'c', 'b', 'a']);
});

forEachStore('the groups count by fingerprint; unmarked entries group per pipeline', async (t, kind) => {
  const { store } = await openTestStore(t, kind);
  await dlqd(store, 'a', { atMs: T0 + 1000 });
  await dlqd(store, 'b', { atMs: T0 + 2000 });
  await dlqd(store, 'c', { atMs: T0 + 3000 });
  await dlqd(store, 'd', { atMs: T0 + 4000, errorCode: 'fraud', reason: 'non_retryable' });
  await dlqd(store, 'e', { atMs: T0 + 5000, pipelineId: 'refunds', marked: false });
  const groups = await store.dlqGroups('default', { limit: 10 });
  const declined = failureFingerprint({
    pipelineId: 'orders',
    stepId: 'charge',
    errorCode: 'card_declined',
    errorMessage: 'card of order 1 declined',
  });
  assert.deepEqual(groups[0], {
    fingerprint: declined,
    pipelineId: 'orders',
    stepId: 'charge',
    errorCode: 'card_declined',
    reason: 'retry_exhausted',
    count: 3,
    firstAtMs: T0 + 1000,
    lastAtMs: T0 + 3000,
    sampleExecutionId: 'c',
  });
  assert.deepEqual(
    groups.slice(1).map((g) => [g.pipelineId, g.errorCode, g.count, g.fingerprint === null]),
    [
      ['refunds', null, 1, true],
      ['orders', 'fraud', 1, false],
    ],
    'then by the latest entry',
  );
  assert.deepEqual(
    (await store.dlqGroups('default', { limit: 10, pipelineId: 'refunds' })).map((g) => g.count),
    [1],
  );
  assert.equal((await store.dlqGroups('default', { limit: 1 })).length, 1);
});

forEachStore('a re-drive takes the entry out of the listing and clears its mark', async (t, kind) => {
  const { store } = await openTestStore(t, kind);
  await dlqd(store, 'a', { atMs: T0 + 1000 });
  await dlqd(store, 'b', { atMs: T0 + 2000 });
  const outcome = await store.redrive({
    tenantId: 'default',
    executionId: 'a',
    expectedVersion: undefined,
    allowFailed: false,
    reason: 'fixed',
    nowMs: T0 + 9000,
  });
  assert.equal(outcome.kind, 'redriven');
  const a = await get(store, 'a');
  assert.deepEqual([a?.failureFingerprint, a?.failedStepId], [null, null]);
  assert.deepEqual(ids(await store.listDlq('default', { limit: 10 })), ['b']);
  assert.deepEqual(
    (await store.dlqGroups('default', { limit: 10 })).map((g) => [g.count, g.sampleExecutionId]),
    [[1, 'b']],
  );
});
