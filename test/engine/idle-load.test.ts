// What an idle node costs its database (docs/retention.md, docs/performance.md): the statements
// one maintenance pass sends, counted by the store, on both stores with a manual clock. The
// count is bounded by a constant and does not grow with the executions kept within their TTL:
// a node holding 1,000 finished executions sends what one holding 10 sends.
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import restaurant from '../../examples/restaurant-approval/pipeline.ts';
import { seedFinished } from '../../bench/lib/seed-finished.ts';
import { startEngine } from '../support/engine-harness.ts';
import { forEachStore, type StoreKind } from '../support/test-stores.ts';

/** A pass every 30 s, as `sweep-interval` defaults to. */
const PASS_MS = 30_000;
/**
 * The most statements an idle pass may send, each a bounded, indexed read or write. SQLite
 * counts more than PostgreSQL for the same work: its group commit wraps each command in a
 * savepoint, two more in-process calls (no round trip).
 */
const IDLE_PASS_BOUND = 60;

/** Statements each of `passes` idle passes sent, after the seed and two passes to settle. */
async function idlePasses(t: TestContext, kind: StoreKind, seeded: number, passes = 3): Promise<number[]> {
  // A leadership lease far longer than the test: no renewal timer runs between the passes.
  const engine = await startEngine(t, [restaurant], { leaderLeaseMs: 3_600_000 }, { store: kind });
  await seedFinished(engine.store, seeded, engine.time.now());
  for (let i = 0; i < 2; i++) {
    engine.time.advance(PASS_MS);
    await engine.coordinator.tick();
  }
  const counts: number[] = [];
  for (let i = 0; i < passes; i++) {
    const before = engine.store.statements;
    // The clock fires the background pass; the tick runs after it: two passes per step.
    engine.time.advance(PASS_MS);
    await engine.coordinator.tick();
    counts.push((engine.store.statements - before) / 2);
  }
  return counts;
}

forEachStore(
  'an idle pass sends a bounded number of statements, whatever the store keeps',
  async (t, kind) => {
    const few = await idlePasses(t, kind, 10);
    const many = await idlePasses(t, kind, 1000);
    t.diagnostic(`statements per idle pass: ${few.join(', ')} with 10 kept, ${many.join(', ')} with 1,000`);
    for (const count of [...few, ...many])
      assert.ok(count <= IDLE_PASS_BOUND, `${count} ≤ ${IDLE_PASS_BOUND}`);
    assert.ok(
      Math.max(...many) <= Math.max(...few),
      `1,000 kept executions cost no more per pass than 10 (${many.join(', ')} vs ${few.join(', ')})`,
    );
  },
);
