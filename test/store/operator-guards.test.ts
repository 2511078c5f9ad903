// The operator commands' guards on both stores: re-drive takes a DLQ execution without
// `allowFailed` and without an expected version, never a live one even with `allowFailed`, and
// re-drive and cancel journal what an operator did and why.
import assert from 'node:assert/strict';
import type { FailureDecision } from '../../src/domain/retry-policy.ts';
import type { Store } from '../../src/store/store-port.ts';
import { claimOne, failedAtStepZero, get, parked, submitted, T0 } from '../support/store-fixtures.ts';
import { forEachStore, openTestStore } from '../support/test-stores.ts';

const failedWith = (store: Store, id: string, decision: FailureDecision) =>
  failedAtStepZero(store, id, { decision, errorMessage: 'bad', nowMs: T0 + 1000, expiresAtMs: T0 + 99_000 });

const redrive = (store: Store, id: string, o: { allowFailed?: boolean; expectedVersion?: number } = {}) =>
  store.redrive({
    tenantId: 'default',
    executionId: id,
    expectedVersion: o.expectedVersion,
    allowFailed: o.allowFailed ?? false,
    reason: 'operator fixed the bug',
    nowMs: T0 + 5000,
  });

forEachStore(
  'a DLQ execution is re-driven without allowFailed or an expected version, and journaled',
  async (t, kind) => {
    const { store } = await openTestStore(t, kind);
    await failedWith(store, 'x', { kind: 'dlq', reason: 'retry_exhausted' });
    assert.equal((await get(store, 'x'))?.status, 'DLQ');
    const outcome = await redrive(store, 'x');
    assert.equal(outcome.kind, 'redriven');
    const execution = await get(store, 'x');
    assert.equal(execution?.status, 'QUEUED');
    assert.equal(execution?.nextDueAtMs, T0 + 5000);
    assert.deepEqual([execution?.attempt, execution?.attemptOffset], [0, 1], 'a fresh budget; try 1 next');
    const last = (await store.readJournal('x', 0, 100)).at(-1);
    assert.deepEqual(last, {
      executionId: 'x',
      seq: execution?.version,
      type: 'redriven',
      atMs: T0 + 5000,
      data: {
        previousStatus: 'DLQ',
        reason: 'operator fixed the bug',
        nextAttempt: 1,
        targetRelease: 'pinned',
        fromRelease: 'r1',
        toRelease: 'r1',
      },
    });
  },
);

forEachStore(
  'a re-drive onto another release of the same contract moves the pin with it',
  async (t, kind) => {
    const { store } = await openTestStore(t, kind);
    await failedWith(store, 'x', { kind: 'dlq', reason: 'non_retryable' });
    const outcome = await store.redrive({
      tenantId: 'default',
      executionId: 'x',
      expectedVersion: undefined,
      allowFailed: false,
      reason: 'fixed in r2',
      target: { releaseVersion: 'r2' },
      toRelease: { releaseVersion: 'r2', contractVersion: 'sha256:contract' },
      nowMs: T0 + 5000,
    });
    assert.equal(outcome.kind, 'redriven');
    const execution = await get(store, 'x');
    assert.deepEqual([execution?.status, execution?.releaseVersion], ['QUEUED', 'r2']);
    const last = (await store.readJournal('x', 0, 100)).at(-1);
    assert.deepEqual(
      [last?.data.targetRelease, last?.data.fromRelease, last?.data.toRelease],
      [{ releaseVersion: 'r2' }, 'r1', 'r2'],
    );
  },
);

forEachStore('a re-drive onto a release of another contract writes nothing', async (t, kind) => {
  const { store } = await openTestStore(t, kind);
  await failedWith(store, 'x', { kind: 'dlq', reason: 'non_retryable' });
  const before = await get(store, 'x');
  const outcome = await store.redrive({
    tenantId: 'default',
    executionId: 'x',
    expectedVersion: undefined,
    allowFailed: false,
    reason: 'wrong release',
    target: 'active',
    toRelease: { releaseVersion: 'r9', contractVersion: 'sha256:another' },
    nowMs: T0 + 5000,
  });
  assert.equal(outcome.kind, 'contract_mismatch');
  assert.deepEqual(await get(store, 'x'), before);
});

forEachStore('allowFailed opens FAILED only: a live execution is never re-driven', async (t, kind) => {
  const { store } = await openTestStore(t, kind);
  await submitted(store, 'queued');
  assert.equal((await redrive(store, 'queued', { allowFailed: true })).kind, 'wrong_status');
  await claimOne(store);
  assert.equal((await redrive(store, 'queued', { allowFailed: true })).kind, 'wrong_status', 'RUNNING');
  await parked(store, 'waiting');
  assert.equal((await redrive(store, 'waiting', { allowFailed: true })).kind, 'wrong_status');
  assert.equal((await get(store, 'queued'))?.status, 'RUNNING');
  assert.equal((await get(store, 'waiting'))?.status, 'WAITING_EXTERNAL');
});

forEachStore('a stale expected version is refused, for DLQ as for FAILED', async (t, kind) => {
  const { store } = await openTestStore(t, kind);
  await failedWith(store, 'x', { kind: 'dlq', reason: 'non_retryable' });
  const version = (await get(store, 'x'))?.version ?? NaN;
  assert.equal((await redrive(store, 'x', { expectedVersion: version - 1 })).kind, 'wrong_version');
  assert.equal((await get(store, 'x'))?.status, 'DLQ');
  assert.equal((await redrive(store, 'x', { expectedVersion: version })).kind, 'redriven');
});

forEachStore(
  'cancel journals the previous status, the reason, the new epoch and the expiry',
  async (t, kind) => {
    const { store } = await openTestStore(t, kind);
    await parked(store, 'x');
    const outcome = await store.cancel({
      tenantId: 'default',
      executionId: 'x',
      reason: 'customer withdrew',
      nowMs: T0 + 7000,
      expiresAtMs: T0 + 99_000,
    });
    assert.equal(outcome.kind, 'cancelled');
    const execution = await get(store, 'x');
    const last = (await store.readJournal('x', 0, 100)).at(-1);
    assert.deepEqual(last, {
      executionId: 'x',
      seq: execution?.version,
      type: 'cancelled',
      atMs: T0 + 7000,
      data: {
        previousStatus: 'WAITING_EXTERNAL',
        reason: 'customer withdrew',
        leaseEpoch: execution?.leaseEpoch,
        expiresAtMs: T0 + 99_000,
      },
    });
  },
);
