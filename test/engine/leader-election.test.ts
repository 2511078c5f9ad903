// LeaderElection on real stores: who leads by the lease in the store, when the lease counts as
// held by this node's clock, the renewal timer, giving the lease up (stop, mayLead) and riding
// out an unreachable store until the lease runs out.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { LeaderElection, MAINTENANCE_ROLE } from '../../src/coordinator/leader-election.ts';
import type { Logger } from '../../src/runtime/logger.ts';
import { ManualTime } from '../../src/runtime/manual-time.ts';
import { seededRandom } from '../../src/runtime/random.ts';
import type { Store } from '../../src/store/store-port.ts';
import { eventually } from '../support/eventually.ts';
import { openPostgresStores, openTestStore } from '../support/test-stores.ts';

const LEASE_MS = 900;

/** A logger that keeps what it was told, to check what an operator would read. */
function recordingLogger(): Logger & { lines: string[]; fields: object[] } {
  const lines: string[] = [];
  const fields: object[] = [];
  const keep = (level: string) => (obj: object, msg?: string) => {
    lines.push(`${level}: ${msg ?? ''}`);
    fields.push(obj);
  };
  return {
    lines,
    fields,
    debug: keep('debug'),
    info: keep('info'),
    warn: keep('warn'),
    error: keep('error'),
  };
}

function election(
  store: Store,
  time: ManualTime,
  nodeId: string,
  extra: { mayLead?: () => Promise<boolean>; seed?: number } = {},
) {
  const logger = recordingLogger();
  let elected = 0;
  const node = new LeaderElection({
    store,
    clock: time,
    timers: time,
    random: seededRandom(extra.seed ?? 1),
    logger,
    nodeId,
    leaseMs: LEASE_MS,
    onElected: () => void elected++,
    ...(extra.mayLead ? { mayLead: extra.mayLead } : {}),
  });
  return { node, logger, elections: () => elected };
}

async function twoNodes(t: TestContext) {
  const db = await openPostgresStores(t);
  const time = new ManualTime();
  const a = election(db.store, time, 'node-a', { seed: 1 });
  const b = election(await db.more(), time, 'node-b', { seed: 2 });
  t.after(() => Promise.all([a.node.stop(), b.node.stop()]));
  return { db, time, a, b };
}

test('the holder is the node id and eight characters of a random id: a restart is a new holder', async (t) => {
  const { db, time, a } = await twoNodes(t);
  assert.match(a.node.holder, /^node-a#[0-9a-f-]{8}$/);
  const restarted = election(db.store, time, 'node-a', { seed: 9 });
  assert.notEqual(restarted.node.holder, a.node.holder);
});

test('one leader among nodes sharing a store; the lease counts only until it expires by this clock', async (t) => {
  const { db, time, a, b } = await twoNodes(t);
  assert.equal(a.node.isLeader, false);
  const fence = await a.node.refresh();
  assert.deepEqual(fence, { role: MAINTENANCE_ROLE, holder: a.node.holder, epoch: 1 });
  assert.equal(a.node.isLeader, true);
  assert.deepEqual(a.logger.lines, ['info: this node became the maintenance leader']);
  assert.deepEqual(a.logger.fields, [{ holder: a.node.holder, epoch: 1 }], 'the log names holder and epoch');
  assert.equal(a.elections(), 0, 'a refresh without announce starts no maintenance pass');
  const row = await db.store.getLeadership('maintenance');
  assert.equal(row?.holder, a.node.holder, "the lease row is the 'maintenance' role, as operators read it");
  assert.equal(await b.node.refresh(), undefined, 'a live lease is not taken');
  assert.equal(b.node.isLeader, false);
  assert.deepEqual(b.logger.lines, [], 'a follower that stays one says nothing');

  time.advance(LEASE_MS - 1);
  assert.equal(a.node.isLeader, true, 'still inside the lease');
  time.advance(1);
  assert.equal(a.node.fence, undefined, 'at the expiry instant the lease no longer counts');
  assert.equal(a.node.isLeader, false);

  const taken = await b.node.refresh();
  assert.equal(taken?.epoch, 2, 'the lease changes hands with the next epoch');
  assert.equal(await a.node.refresh(), undefined);
  assert.equal((await db.store.getLeadership(MAINTENANCE_ROLE))?.holder, b.node.holder);
});

test('renewal keeps the lease and the epoch; losing it is logged', async (t) => {
  const { time, a, b } = await twoNodes(t);
  await a.node.refresh();
  time.advance(LEASE_MS / 2);
  const renewed = await a.node.refresh();
  assert.equal(renewed?.epoch, 1);
  assert.deepEqual(a.logger.lines, ['info: this node became the maintenance leader'], 'a renewal is no news');
  time.advance(LEASE_MS);
  await b.node.refresh();
  assert.equal(await a.node.refresh(), undefined);
  // a's lease ran out by its own clock before it asked again: still a change of who leads.
  assert.deepEqual(a.logger.lines, [
    'info: this node became the maintenance leader',
    'warn: this node lost the maintenance leadership',
  ]);
});

test('leadership is logged on change only: renewals, and a lapse retaken by the same holder, say nothing', async (t) => {
  const { time, a } = await twoNodes(t);
  for (let pass = 0; pass < 5; pass++) {
    assert.equal((await a.node.refresh())?.epoch, 1);
    time.advance(LEASE_MS / 3);
  }
  // A single-owner store renews only at its passes, which may come after the lease ran out.
  time.advance(LEASE_MS);
  assert.equal(a.node.isLeader, false);
  assert.ok(await a.node.refresh(), 'the same holder takes its lapsed lease back');
  time.advance(LEASE_MS * 2);
  assert.ok(await a.node.refresh());
  assert.deepEqual(
    a.logger.lines,
    ['info: this node became the maintenance leader'],
    'one line, not one per pass',
  );
});

test('a leader whose lease was taken from under it (takeover) learns it at the next renewal', async (t) => {
  const { db, time, a } = await twoNodes(t);
  await a.node.refresh();
  await db.store.acquireLeadership({
    role: MAINTENANCE_ROLE,
    holder: 'usurper#00000000',
    nowMs: time.now(),
    ttlMs: 60_000,
    takeOver: true,
  });
  assert.equal(a.node.isLeader, true, 'by its own clock it still leads until it asks');
  assert.equal(await a.node.refresh(), undefined);
  assert.equal(a.node.isLeader, false);
  assert.deepEqual(a.logger.lines, [
    'info: this node became the maintenance leader',
    'warn: this node lost the maintenance leadership',
  ]);
  assert.deepEqual(a.logger.fields[1], { holder: a.node.holder });
});

test('the renewal timer runs every third of the lease, announces a win, and stop() ends it', async (t) => {
  const { db, time, a, b } = await twoNodes(t);
  await a.node.refresh();
  a.node.start();
  b.node.start();
  assert.equal(time.pendingTimers, 2, 'one renewal timer per node');
  time.advance(Math.floor(LEASE_MS / 3) - 1);
  assert.equal(time.pendingTimers, 2, 'not yet due');
  await a.node.stop();
  assert.equal(time.pendingTimers, 1, "stop() clears the node's timer");
  assert.equal(a.node.isLeader, false);
  assert.equal(await a.node.refresh(), undefined, 'a stopped node no longer contends');
  assert.ok(
    ((await db.store.getLeadership(MAINTENANCE_ROLE))?.expiresAtMs ?? Infinity) <= time.now(),
    'stop() released the lease at once',
  );

  time.advance(1);
  await eventually('b elected by its renewal timer', () => (b.elections() === 1 ? true : undefined));
  assert.equal(b.node.isLeader, true);
  assert.deepEqual(b.logger.lines, ['info: this node became the maintenance leader']);
  await eventually('b re-armed its timer', () => (time.pendingTimers === 1 ? true : undefined));
});

test('a short lease still renews no faster than every 50 ms', async (t) => {
  const db = await openPostgresStores(t);
  const time = new ManualTime();
  const node = new LeaderElection({
    store: db.store,
    clock: time,
    timers: time,
    random: seededRandom(3),
    logger: recordingLogger(),
    nodeId: 'fast',
    leaseMs: 60,
    onElected: () => undefined,
  });
  t.after(() => node.stop());
  node.start();
  time.advance(49);
  assert.equal(node.isLeader, false, 'the timer has not fired at 49 ms');
  time.advance(1);
  await eventually('elected at 50 ms', () => (node.isLeader ? true : undefined));
});

test('a store one process owns alone: no timer, and a live lease of a former holder is taken over', async (t) => {
  const db = await openTestStore(t, 'sqlite');
  const time = new ManualTime();
  await db.store.acquireLeadership({
    role: MAINTENANCE_ROLE,
    holder: 'gone#00000000',
    nowMs: time.now(),
    ttlMs: 60_000,
    takeOver: false,
  });
  const { node } = election(db.store, time, 'solo');
  node.start();
  assert.equal(time.pendingTimers, 0, 'a single owner needs no renewal timer');
  const fence = await node.refresh();
  assert.equal(fence?.epoch, 2, 'taken over at once, not after the old lease ran out');
  await node.stop();
});

test('mayLead false (or failing) gives the lease up and logs it; true lets the node lead', async (t) => {
  const db = await openPostgresStores(t);
  const time = new ManualTime();
  let verdict: boolean | Error = true;
  const { node, logger } = election(db.store, time, 'checked', {
    mayLead: async () => {
      if (verdict instanceof Error) throw verdict;
      return verdict;
    },
  });
  t.after(() => node.stop());
  assert.equal((await node.refresh())?.epoch, 1);
  verdict = false;
  assert.equal(await node.refresh(), undefined);
  assert.equal(node.isLeader, false);
  assert.ok(
    ((await db.store.getLeadership(MAINTENANCE_ROLE))?.expiresAtMs ?? Infinity) <= time.now(),
    'the lease was released, not left to run out',
  );
  assert.deepEqual(logger.lines, [
    'info: this node became the maintenance leader',
    'warn: this node gave up the maintenance leadership',
  ]);
  assert.deepEqual(logger.fields[1], { holder: node.holder });
  assert.equal(await node.refresh(), undefined);
  assert.equal(logger.lines.length, 2, 'a node that was not leading has nothing to give up');

  verdict = new Error('database unreachable');
  assert.equal(await node.refresh(), undefined, 'a check that cannot be made does not let it lead');
  assert.deepEqual(logger.lines.slice(2), ['warn: could not check whether this node may lead']);
  assert.deepEqual(logger.fields[2], { err: verdict }, 'the log carries the error');
  verdict = true;
  assert.equal((await node.refresh())?.epoch, 1, 'the same holder takes its released lease back');
  assert.equal(node.isLeader, true);
});

test('an unreachable store: the lease held so far counts until it runs out, then the node stops leading', async (t) => {
  const db = await openPostgresStores(t);
  const time = new ManualTime();
  const own = await db.more();
  const { node, logger } = election(own, time, 'cut-off');
  assert.equal((await node.refresh())?.epoch, 1);
  await own.close();
  time.advance(LEASE_MS / 2);
  assert.deepEqual(await node.refresh(), { role: MAINTENANCE_ROLE, holder: node.holder, epoch: 1 });
  assert.equal(logger.lines.at(-1), 'warn: maintenance leadership could not be renewed');
  const logged = logger.fields.at(-1);
  assert.ok(logged && 'err' in logged && logged.err instanceof Error, 'the log carries the error');
  time.advance(LEASE_MS / 2);
  assert.equal(node.isLeader, false, 'the lease ran out by this clock');
  assert.equal(await node.refresh(), undefined);
});
