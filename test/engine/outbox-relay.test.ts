import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import {
  createCoordinator,
  hostLocalPipelines,
  LocalWorker,
  WorkerRegistry,
} from '../../src/coordinator/index.ts';
import { relayOutbox, type PublicationSink, type RelayPolicy } from '../../src/dlq/outbox-relay.ts';
import { ManualTime } from '../../src/runtime/manual-time.ts';
import { seededRandom } from '../../src/runtime/random.ts';
import { definePipeline, NonRetryableError } from '../../src/sdk/index.ts';
import type { OutboxMessage } from '../../src/store/records.ts';
import type { Store } from '../../src/store/store-port.ts';
import { failedAtStepZero, T0 } from '../support/store-fixtures.ts';
import { forEachStore, openPostgresStores, openTestStore } from '../support/test-stores.ts';

// The outbox relay: one message its sink refuses holds up no other, is retried with backoff
// and then parked; relays racing deliver each message once; a follower relays nothing.

const POLICY: RelayPolicy = { maxAttempts: 3, baseDelayMs: 1000, maxDelayMs: 60_000, claimMs: 30_000 };

/** Moves `id` to the DLQ, which writes its publication to the outbox. */
const deadLettered = (store: Store, id: string): Promise<void> =>
  failedAtStepZero(store, id, {
    decision: { kind: 'dlq', reason: 'non_retryable' },
    publication: { topic: 'dlq', payload: { executionId: id } },
  });

/** A sink that counts deliveries by execution id and refuses those named in `refuse`. */
function countingSink(refuse: ReadonlySet<string> = new Set()) {
  const delivered = new Map<string, number>();
  const sink: PublicationSink = {
    deliver: async (message: OutboxMessage) => {
      const id = String(message.payload.executionId);
      if (refuse.has(id)) throw new Error(`sink refuses ${id}`);
      delivered.set(id, (delivered.get(id) ?? 0) + 1);
    },
  };
  return { sink, delivered, sinks: new Map([['dlq', sink]]) };
}

forEachStore(
  'a message its sink refuses is retried with backoff, then parked; the others go once',
  async (t, kind) => {
    const { store } = await openTestStore(t, kind, { nowMs: () => T0 });
    for (const id of ['a', 'poison', 'b']) await deadLettered(store, id);
    const { delivered, sinks } = countingSink(new Set(['poison']));
    const relay = async (nowMs: number) => {
      const { delivered, failed, parked } = await relayOutbox(store, sinks, nowMs, 10, POLICY);
      return { delivered, failed, parked };
    };

    const start = T0 + 10;
    assert.deepEqual(await relay(start), { delivered: 2, failed: 1, parked: 0 });
    assert.deepEqual(Object.fromEntries(delivered), { a: 1, b: 1 });
    const [waiting] = await store.readOutbox(10);
    assert.equal(waiting?.attempts, 1);
    assert.match(waiting?.lastError ?? '', /sink refuses poison/);

    // Not due before its backoff (1 s, then 2 s): nothing is delivered again meanwhile.
    assert.deepEqual(await relay(start + 999), { delivered: 0, failed: 0, parked: 0 });
    assert.deepEqual(await relay(start + 1000), { delivered: 0, failed: 1, parked: 0 });
    assert.deepEqual(await relay(start + 2999), { delivered: 0, failed: 0, parked: 0 });
    assert.deepEqual(await relay(start + 3000), { delivered: 0, failed: 0, parked: 1 });

    const parked = await store.listParkedOutbox(10);
    assert.deepEqual(
      parked.map((m) => [m.payload.executionId, m.attempts, m.parkedAtMs]),
      [['poison', 3, start + 3000]],
    );
    assert.deepEqual(await store.readOutbox(10), [], 'nothing left to relay');
    assert.deepEqual(await relay(start + 1e7), { delivered: 0, failed: 0, parked: 0 });
    assert.deepEqual(Object.fromEntries(delivered), { a: 1, b: 1 }, 'each good message once');
  },
);

test('two relays racing on PostgreSQL deliver each message once', async (t) => {
  const db = await openPostgresStores(t, { nowMs: () => T0 });
  const ids = Array.from({ length: 12 }, (_, i) => `m${i}`);
  for (const id of ids) await deadLettered(db.store, id);
  const other = await db.more();
  const one = countingSink();
  const two = countingSink();
  await Promise.all([
    relayOutbox(db.store, one.sinks, T0 + 10, 100, POLICY),
    relayOutbox(other, two.sinks, T0 + 10, 100, POLICY),
  ]);
  const counts = new Map<string, number>();
  for (const seen of [one.delivered, two.delivered])
    for (const [id, n] of seen) counts.set(id, (counts.get(id) ?? 0) + n);
  assert.deepEqual(
    [...counts.entries()].sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true })),
    ids.map((id) => [id, 1]),
  );
  assert.deepEqual(await db.store.readOutbox(100), []);
});

test('a follower does not relay the DLQ moves it makes; the leader does, once', async (t) => {
  const db = await openPostgresStores(t);
  const time = new ManualTime(T0);
  const pipeline = definePipeline({ id: 'declines', input: z.object({ n: z.number() }) }).step('charge', {
    output: z.number(),
    run: () => {
      throw new NonRetryableError('card declined', { code: 'card_declined' });
    },
  });
  const node = (store: Store, nodeId: string, workers: WorkerRegistry) => {
    const sink = countingSink();
    const coordinator = createCoordinator({
      store,
      clock: time,
      timers: time,
      random: seededRandom(nodeId.length),
      workers,
      // Simulated time is far from the database's clock on purpose: no skew bound.
      config: { nodeId, leaderLeaseMs: 60_000, maxClockSkewMs: Number.POSITIVE_INFINITY },
      sinks: sink.sinks,
    });
    return { coordinator, delivered: sink.delivered };
  };
  // The leader hosts no worker, so the follower runs (and dead-letters) the execution.
  const leader = node(db.store, 'leader', new WorkerRegistry());
  const followerWorkers = new WorkerRegistry();
  const worker = new LocalWorker('follower-local');
  followerWorkers.add(worker);
  const follower = node(await db.more(), 'follower', followerWorkers);
  t.after(async () => {
    await follower.coordinator.stop();
    await leader.coordinator.stop();
  });
  await leader.coordinator.start();
  await follower.coordinator.start();
  assert.equal((await leader.coordinator.leadership()).isLeader, true);
  assert.equal((await follower.coordinator.leadership()).isLeader, false);
  await hostLocalPipelines(follower.coordinator, worker, [{ pipeline }], {
    tenantId: 'default',
    nowMs: time.now(),
  });

  const { execution } = await follower.coordinator.submit('default', {
    pipelineId: 'declines',
    input: { n: 1 },
  });
  await follower.coordinator.tick();
  assert.equal((await follower.coordinator.status('default', execution.executionId)).status, 'DLQ');
  assert.deepEqual(Object.fromEntries(follower.delivered), {}, 'the follower relayed nothing');
  assert.equal((await db.store.readOutbox(10)).length, 1);

  await leader.coordinator.tick();
  assert.deepEqual(Object.fromEntries(leader.delivered), { [execution.executionId]: 1 });
  assert.deepEqual(await db.store.readOutbox(10), []);
});

forEachStore(
  'a relay pass hands its batch to the sinks side by side and marks them delivered',
  async (t, kind) => {
    const { store } = await openTestStore(t, kind, { nowMs: () => T0 });
    for (const id of ['a', 'b', 'c', 'd']) await deadLettered(store, id);
    let inFlight = 0;
    let most = 0;
    const sink: PublicationSink = {
      deliver: async () => {
        most = Math.max(most, ++inFlight);
        await new Promise((resolve) => setTimeout(resolve, 20));
        inFlight--;
      },
    };
    const report = await relayOutbox(store, new Map([['dlq', sink]]), T0, 10, POLICY);
    assert.deepEqual(report, { claimed: 4, delivered: 4, failed: 0, parked: 0 });
    assert.equal(most, 4, 'all four were with the sink at once');
    assert.deepEqual(await store.readOutbox(10), [], 'all marked delivered');
  },
);
