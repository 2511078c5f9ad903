/**
 * Times the pending-interactions query as `GET …/interactions/pending` runs it: the store's
 * `listPendingInteractions`, on a store opened as `capstan serve` opens it (the route adds only
 * parsing and JSON). Three filters: none (the tenant's inbox), `group=bench` (every seeded
 * interaction is in it), and `group=nobody` (matches none, so an index that cannot narrow by
 * group shows up as a scan). The route's default limit, 100. A few calls warm up first; then
 * `samples` sequential calls per filter. Prints one JSON line with each filter's median.
 *
 *   node --import tsx bench/scale/pending-process.ts '<json: {dataDir, settings, samples}>'
 */
import { resolve } from 'node:path';
import { loadConfig } from '../../src/config/load-config.ts';
import { openStore } from '../../src/store/open-store.ts';
import type { PendingFilter } from '../../src/store/store-port.ts';
import type { CoordinatorSpec } from '../lib/in-process-coordinator.ts';
import { latencyStats } from '../lib/load.ts';

const PENDING_FILTERS = {
  all: { limit: 100 },
  group: { group: 'bench', limit: 100 },
  noMatch: { group: 'nobody', limit: 100 },
} as const satisfies Record<string, PendingFilter>;

const WARM_UP = 5;

const args = JSON.parse(process.argv[2] ?? '{}') as CoordinatorSpec & { samples: number };
const { values } = loadConfig({ env: {}, flags: { ...args.settings, 'capstan.data-dir': args.dataDir } });
const store = await openStore(values, { dataDir: resolve(args.dataDir) });
const result: Record<string, { p50Ms: number; maxMs: number; rows: number }> = {};
try {
  for (const [name, filter] of Object.entries(PENDING_FILTERS)) {
    let rows = 0;
    for (let i = 0; i < WARM_UP; i++) await store.listPendingInteractions('default', filter);
    const samples: number[] = [];
    for (let i = 0; i < args.samples; i++) {
      const t0 = performance.now();
      rows = (await store.listPendingInteractions('default', filter)).length;
      samples.push(performance.now() - t0);
    }
    const stats = latencyStats(samples);
    result[name] = { p50Ms: stats.p50Ms, maxMs: stats.maxMs, rows };
  }
} finally {
  await store.close();
}
console.log(JSON.stringify(result));
