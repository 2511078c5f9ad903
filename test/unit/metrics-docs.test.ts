// Every metric a coordinator registers is documented in docs/metrics.md, by its exact name.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { CoordinatorMetrics } from '../../src/metrics/coordinator-metrics.ts';
import { ManualTime } from '../../src/runtime/manual-time.ts';
import { openTestStore } from '../support/test-stores.ts';

test('docs/metrics.md names every metric a coordinator registers', async (t) => {
  const { store } = await openTestStore(t, 'sqlite');
  const metrics = new CoordinatorMetrics({ store, clock: new ManualTime(), staleAfterMs: 60_000 });
  t.after(() => metrics.close());
  const names = (await metrics.registry.getMetricsAsJSON()).map((m) => m.name);
  assert.ok(names.includes('capstan_store_statements_total'));
  const docs = readFileSync(resolve(import.meta.dirname, '../../docs/metrics.md'), 'utf8');
  const undocumented = names.filter((name) => !docs.includes(`\`${name}\``));
  assert.deepEqual(undocumented, [], 'add these to docs/metrics.md');
});
