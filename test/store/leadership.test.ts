import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LeaderFence, Store } from '../../src/store/store-port.ts';
import { claimOne, get, LEASE_MS, submitted, T0 } from '../support/store-fixtures.ts';
import { forEachStore, openPostgresStores, openTestStore } from '../support/test-stores.ts';

// The maintenance leader's lease: one holder at a time, a new epoch per holder, and the
// leader-only commands refuse a fence whose epoch has moved on.

const ROLE = 'maintenance';
const TTL = 1000;
const acquire = (store: Store, holder: string, nowMs: number, takeOver = false) =>
  store.acquireLeadership({ role: ROLE, holder, nowMs, ttlMs: TTL, takeOver });
const fenceOf = (held: { holder: string; epoch: number } | undefined): LeaderFence => {
  assert.ok(held, 'the lease was taken');
  return { role: ROLE, holder: held.holder, epoch: held.epoch };
};

forEachStore('one holder at a time; a new holder takes the next epoch; renewal keeps it', async (t, kind) => {
  const { store } = await openTestStore(t, kind);
  assert.equal(await store.getLeadership(ROLE), undefined);
  const a = await acquire(store, 'node-a#1', T0);
  assert.equal(a?.epoch, 1);
  assert.equal(await acquire(store, 'node-b#1', T0 + TTL - 1), undefined, 'a live lease is not taken');
  const renewed = await acquire(store, 'node-a#1', T0 + TTL - 1);
  assert.equal(renewed?.epoch, 1, 'a renewal keeps the epoch');
  assert.equal(renewed?.expiresAtMs, T0 + 2 * TTL - 1);
  assert.equal(renewed?.acquiredAtMs, T0);

  const b = await acquire(store, 'node-b#1', T0 + 2 * TTL);
  assert.equal(b?.epoch, 2, 'a lease that ran out changes hands, with the next epoch');
  assert.equal(await acquire(store, 'node-a#1', T0 + 2 * TTL + 1), undefined, 'the old holder is out');
  assert.deepEqual(await store.getLeadership(ROLE), b);

  await store.releaseLeadership(fenceOf(b));
  assert.equal(
    (await acquire(store, 'node-c#1', T0 + 2 * TTL + 2))?.epoch,
    3,
    'a released lease is free at once',
  );
  const taken = await acquire(store, 'node-d#1', T0 + 2 * TTL + 3, true);
  assert.equal(taken?.epoch, 4, 'takeOver (a store one process owns) takes a live lease');
  await store.releaseLeadership(fenceOf(a));
  assert.equal((await store.getLeadership(ROLE))?.holder, 'node-d#1', 'a stale fence releases nothing');
});

forEachStore('a deposed leader cannot reclaim, time out or purge', async (t, kind) => {
  const { store } = await openTestStore(t, kind);
  const old = fenceOf(await acquire(store, 'node-a#1', T0));
  const current = fenceOf(await acquire(store, 'node-b#1', T0 + TTL));
  await submitted(store, 'x');
  const claimed = await claimOne(store);
  const nowMs = T0 + LEASE_MS + 10;
  const reclaim = (leader: LeaderFence) =>
    store.reclaimLease({
      leader,
      executionId: 'x',
      leaseEpoch: claimed.execution.leaseEpoch,
      stepIndex: 0,
      attempt: 0,
      asOfMs: nowMs,
      decision: { kind: 'retry', attempt: 1, dueAtMs: nowMs },
      publication: undefined,
      nowMs,
      expiresAtMs: nowMs + 1e6,
    });
  assert.equal(await reclaim(old), false, 'the stale epoch is refused');
  assert.equal((await get(store, 'x'))?.status, 'RUNNING', 'and nothing changed');
  assert.equal(await reclaim(current), true);
  assert.equal((await get(store, 'x'))?.status, 'WAIT_RETRY');

  await store.cancel({ tenantId: 'default', executionId: 'x', reason: 'test', nowMs, expiresAtMs: nowMs });
  assert.equal(await store.purgeExpired({ leader: old, nowMs: nowMs + 1, limit: 10 }), 0);
  assert.ok(await store.getExecution('default', 'x'), 'a stale leader purges nothing');
  assert.equal(await store.purgeExpired({ leader: current, nowMs: nowMs + 1, limit: 10 }), 1);
});

test('PostgreSQL: nodes contending for the lease at once, exactly one wins', async (t) => {
  const db = await openPostgresStores(t);
  const nodes = [db.store, ...(await Promise.all([1, 2, 3, 4].map(() => db.more())))];
  for (let round = 0; round < 5; round++) {
    const nowMs = T0 + round * 2 * TTL;
    const won = await Promise.all(nodes.map((store, i) => acquire(store, `node-${i}#${round}`, nowMs)));
    const winners = won.filter((w) => w !== undefined);
    assert.equal(winners.length, 1, `round ${round}: one winner`);
    assert.equal(winners[0]?.epoch, round + 1);
  }
});
