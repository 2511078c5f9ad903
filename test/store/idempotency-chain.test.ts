// The idempotency chain on the execution row (src/domain/idempotency-chain.ts) must give every
// dispatch the key the journal gives it: here long seeded runs of claims, failures of every
// kind, checkpoints, lease reclaims, DLQ moves and re-drives, on both stores, compare the two
// at every claim, and a rebuild from the journal must reproduce the columns the updates wrote.
import assert from 'node:assert/strict';
import { CHAIN_UNKNOWN, keyAttemptOf } from '../../src/domain/idempotency-chain.ts';
import { FailureCode } from '../../src/domain/failure-codes.ts';
import {
  idempotencyAttemptFromJournal,
  idempotencyAttemptOf,
} from '../../src/coordinator/idempotency-attempt.ts';
import type { ExecutionRecord } from '../../src/store/records.ts';
import type { Store } from '../../src/store/store-port.ts';
import { claim, leader, LEASE_MS, ROUTE, submitted, T0 } from '../support/store-fixtures.ts';
import { forEachStore, openTestStore } from '../support/test-stores.ts';

const CODES = [
  FailureCode.REMOTE_OUTCOME_UNKNOWN,
  FailureCode.LEASE_EXPIRED,
  FailureCode.WORKER_UNREACHABLE,
  FailureCode.DISPATCH_REFUSED,
  FailureCode.STEP_TIMEOUT,
];
const NOTHING_RAN: readonly string[] = [FailureCode.WORKER_UNREACHABLE, FailureCode.DISPATCH_REFUSED];

/** A small deterministic generator (mulberry32), so a failing run can be replayed from its seed. */
function seeded(seed: number) {
  let a = seed >>> 0;
  return (n: number): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let r = Math.imul(a ^ (a >>> 15), 1 | a);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) % n;
  };
}

/** A run's seed and length, and the instant it starts after. */
interface Run {
  readonly seed: number;
  readonly steps: number;
  readonly from: number;
}

/**
 * Drives execution `id` (of pipeline `id`, so runs on one store claim only their own) through seeded moves, one per claim; calls `claimed` with each claimed
 * row. Returns the instant of the last move.
 */
async function run(
  store: Store,
  id: string,
  { seed, steps, from }: Run,
  claimed: (x: ExecutionRecord) => Promise<void>,
): Promise<number> {
  const pick = seeded(seed);
  const fence = await leader(store, from);
  let now = from;
  for (let i = 0; i < steps; i += 1) {
    now += 10 * LEASE_MS;
    const [segment] = (
      await store.claimDue({
        nowMs: now,
        limit: 1,
        owner: 'a',
        leaseMs: LEASE_MS,
        routes: [{ ...ROUTE, pipelineId: id }],
      })
    ).segments;
    if (!segment) {
      // Terminal (DLQ): re-drive it, which breaks any chain.
      const redriven = await store.redrive({
        tenantId: 'default',
        executionId: id,
        expectedVersion: undefined,
        allowFailed: true,
        reason: 'again',
        nowMs: now,
      });
      assert.equal(redriven.kind, 'redriven');
      continue;
    }
    const x = segment.execution;
    await claimed(x);
    const at = { executionId: id, leaseEpoch: x.leaseEpoch, nowMs: now };
    let stepIndex = x.stepIndex;
    // Sometimes steps complete before the try ends, which breaks the chain.
    if (pick(4) === 0) {
      assert.equal(await store.checkpointStep({ ...at, stepIndex, output: i }), true);
      stepIndex += 1;
    }
    const attempt = stepIndex === x.stepIndex ? x.attempt : 0;
    const code = CODES[pick(CODES.length)] as string;
    const expiresAtMs = now + 99_000;
    if (pick(12) === 0) {
      const decision = { kind: 'dlq', reason: 'retry_exhausted' } as const;
      const failure = { errorCode: code, errorMessage: 'gave up' };
      const won = await store.fail({
        ...at,
        stepIndex,
        failure,
        decision,
        publication: undefined,
        expiresAtMs,
      });
      assert.equal(won, true);
      continue;
    }
    const decision = {
      kind: 'retry',
      attempt: NOTHING_RAN.includes(code) ? attempt : attempt + 1,
      dueAtMs: now + 1,
    } as const;
    if (code === FailureCode.LEASE_EXPIRED && pick(2) === 0) {
      const won = await store.reclaimLease({
        ...at,
        stepIndex,
        attempt,
        leader: fence,
        asOfMs: now + LEASE_MS + 1,
        decision,
        publication: undefined,
        expiresAtMs,
      });
      assert.equal(won, true);
      continue;
    }
    const failure = { errorCode: code, errorMessage: 'it broke' };
    assert.equal(
      await store.fail({ ...at, stepIndex, failure, decision, publication: undefined, expiresAtMs }),
      true,
    );
  }
  return now;
}

forEachStore('the chain on the row gives every claim the key the journal gives it', async (t, kind) => {
  const { store } = await openTestStore(t, kind);
  let chained = 0;
  for (const seed of [1, 2, 3]) {
    await submitted(store, `x${seed}`, { pipelineId: `x${seed}` });
    await run(store, `x${seed}`, { seed, steps: 80, from: T0 }, async (x) => {
      const fromRow = keyAttemptOf(x);
      assert.notEqual(fromRow, undefined, 'a row written since the columns exist knows its chain');
      assert.equal(
        fromRow,
        await idempotencyAttemptFromJournal(store, x),
        `seed ${seed}, version ${x.version}`,
      );
      if (fromRow !== x.attempt) chained += 1;
    });
  }
  assert.ok(chained > 5, `the runs kept an earlier try's key now and then (${chained} times)`);
  // Parking (of the runs' other pipelines) is not journaled; the chain columns must come back.
  const chains = async () =>
    ((await store.snapshotProjections()) as { executions: Record<string, unknown>[] }).executions.map((x) => [
      x.execution_id,
      x.version,
      x.chain_key_attempt,
      x.chain_seq,
    ]);
  const live = await chains();
  await store.rebuildProjections();
  assert.deepEqual(await chains(), live, 'the fold writes the columns the updates wrote');
});

forEachStore(
  'a row from before the chain columns reads the journal until a chain starts',
  async (t, kind) => {
    const db = await openTestStore(t, kind);
    let store: Store = db.store;
    let now = T0;
    /** Claims the execution and fails its try with `code`; returns the claimed row. */
    const claimAndFail = async (code: string): Promise<ExecutionRecord> => {
      now += 10 * LEASE_MS;
      const x = (await claim(store, { nowMs: now }))[0]?.execution;
      assert.ok(x);
      const attempt = NOTHING_RAN.includes(code) ? x.attempt : x.attempt + 1;
      const won = await store.fail({
        executionId: 'x',
        leaseEpoch: x.leaseEpoch,
        stepIndex: x.stepIndex,
        failure: { errorCode: code, errorMessage: 'it broke' },
        decision: { kind: 'retry', attempt, dueAtMs: now + 1 },
        publication: undefined,
        nowMs: now,
        expiresAtMs: now + 99_000,
      });
      assert.equal(won, true);
      return x;
    };
    await submitted(store, 'x');
    await claimAndFail(FailureCode.STEP_TIMEOUT);
    await claimAndFail(FailureCode.REMOTE_OUTCOME_UNKNOWN);
    // What migration 007 leaves on the rows it finds.
    if (kind === 'sqlite') await store.close();
    await db.execSql('UPDATE executions SET chain_seq = ?', [CHAIN_UNKNOWN]);
    if (kind === 'sqlite') store = await db.more();
    let journalReads = 0;
    const counting = {
      readJournal: (...a: Parameters<Store['readJournal']>) => {
        journalReads += 1;
        return store.readJournal(...a);
      },
    };
    /** The key of the try `x`, checked against the journal's; and whether the journal was read. */
    const keyOf = async (x: ExecutionRecord) => {
      const before = journalReads;
      const key = await idempotencyAttemptOf(counting, x);
      assert.equal(key, await idempotencyAttemptFromJournal(store, x));
      return { key, readJournal: journalReads > before };
    };
    // Unknown: the chain started before the columns, so the journal is read, and kept unknown.
    assert.deepEqual(await keyOf(await claimAndFail(FailureCode.WORKER_UNREACHABLE)), {
      key: 1,
      readJournal: true,
    });
    assert.deepEqual(await keyOf(await claimAndFail(FailureCode.LEASE_EXPIRED)), {
      key: 1,
      readJournal: true,
    });
    assert.deepEqual(await keyOf(await claimAndFail(FailureCode.STEP_TIMEOUT)), {
      key: 1,
      readJournal: true,
    });
    // That retry ended the chain: from here on the row knows it.
    assert.deepEqual(await keyOf(await claimAndFail(FailureCode.REMOTE_OUTCOME_UNKNOWN)), {
      key: 4,
      readJournal: false,
    });
    assert.deepEqual(await keyOf(await claimAndFail(FailureCode.DISPATCH_REFUSED)), {
      key: 4,
      readJournal: false,
    });
    const last = (await claim(store, { nowMs: now + 10 * LEASE_MS }))[0]?.execution;
    assert.ok(last);
    assert.deepEqual(await keyOf(last), { key: 4, readJournal: false });
  },
);
