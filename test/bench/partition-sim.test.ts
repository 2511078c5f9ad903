import assert from 'node:assert/strict';
import { test } from 'node:test';
import { simulate, splitHotTenants, zipfTenants } from '../../bench/partition-sim.ts';
import {
  addDatabaseToTable,
  loadsOf,
  placeByHash,
  placeByTable,
} from '../../bench/partitioning/placement.ts';

/** The partitioning simulation's promises (docs/scaling.md), checked on its own figures. */
const close = (a: number, b: number) => Math.abs(a - b) < 1e-6 * Math.max(1, Math.abs(b));

test('Zipf tenants carry the whole load, largest first, and splitting keeps it', () => {
  const tenants = zipfTenants(1000, 5000);
  assert.ok(
    close(
      tenants.reduce((s, t) => s + t.load, 0),
      5000,
    ),
  );
  assert.ok((tenants[0]?.load ?? 0) > (tenants[1]?.load ?? 0));
  const split = splitHotTenants(tenants, 200);
  assert.ok(
    close(
      split.reduce((s, t) => s + t.load, 0),
      5000,
    ),
  );
  assert.ok(split.every((t) => t.load <= 200 + 1e-9));
  assert.ok(split.length > tenants.length);
});

test('every placement puts each tenant on exactly one existing database', () => {
  const tenants = splitHotTenants(zipfTenants(2000, 10_000), 1350);
  for (const placement of [placeByHash(tenants, 8), placeByTable(tenants, 8)]) {
    assert.equal(placement.size, tenants.length);
    assert.ok([...placement.values()].every((db) => Number.isInteger(db) && db >= 0 && db < 8));
    assert.ok(
      close(
        loadsOf(tenants, placement, 8).reduce((a, b) => a + b, 0),
        10_000,
      ),
    );
  }
  const grown = addDatabaseToTable(tenants, placeByTable(tenants, 8), 8);
  assert.ok(loadsOf(tenants, grown, 9)[8]! > 0, 'the added database takes load');
});

test('a placement table is at least as even as hashing, and an added database moves fewer tenants', () => {
  for (const totalLoad of [10_000, 100_000]) {
    const row = simulate({ tenants: 5000, capacity: 2250, headroom: 0.6, totalLoad });
    assert.ok(row.table.imbalance <= row.hash.imbalance, JSON.stringify(row));
    assert.ok(row.table.movedTenants <= row.hash.movedTenants, JSON.stringify(row));
    assert.ok(
      row.table.maxLoadOfCapacity <= 0.6 * 1.1,
      'the table keeps every database near its planned load',
    );
  }
});
