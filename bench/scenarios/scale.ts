/**
 * Scale: does W1 and the pending-interactions query stay as fast with a large store as with an
 * empty one? For each level S (default 0, 1k, 100k, 1M) a fresh store is seeded with S finished
 * 3-step executions and S executions parked at an await with a WAITING interaction (so 2S
 * executions), cloned from real ones (bench/scale/seed.ts). On that store, each repeat times the
 * pending query (pending-process.ts) and then runs W1 (new executions on top of the seeded ones;
 * the store is not reseeded between repeats), each W1 run starting from a store flushed to disk
 * (on PostgreSQL right after a CHECKPOINT, so every level pays the same full-page writes), after
 * one untimed W1 run of up to 1000 executions that warms the caches. All levels are seeded
 * first and kept; the repeats then go round the levels in turn. The plans of the pending and
 * claim queries are recorded at every level (explain.ts).
 */
import { runJsonProcess } from '../lib/json-process.ts';
import type { StoreKind } from '../lib/options.ts';
import { summarise, type Repeated } from '../lib/repeats.ts';
import type { NodeRuntime } from '../lib/runtime.ts';
import { freshTarget, type StoreTarget } from '../lib/store-target.ts';
import { explainPlans, type Plans } from '../scale/explain.ts';
import { flushToDisk, seed, type Seeded } from '../scale/seed.ts';
import { runW1, type W1Result } from './w1.ts';

/** The untimed W1 run on each level before its repeats. */
const WARM_UP_N = 1000;

/** Sequential calls per filter and repeat; the repeat's figure is their median. */
const PENDING_SAMPLES = 30;

type PendingTimes = Record<'all' | 'group' | 'noMatch', { p50Ms: number; maxMs: number; rows: number }>;

export interface ScaleLevel {
  readonly seeded: Seeded;
  readonly run: Repeated<{ w1: W1Result; pending: PendingTimes }>;
  readonly plans: Plans;
}

export interface ScaleResult {
  readonly levels: readonly ScaleLevel[];
}

export interface ScaleOptions {
  readonly n: number;
  readonly repeats: number;
  readonly levels: readonly number[];
  readonly pgUrl: string;
}

export async function runScale(
  runtime: NodeRuntime,
  store: StoreKind,
  o: ScaleOptions,
): Promise<ScaleResult> {
  const targets: StoreTarget[] = [];
  try {
    const prepared: { target: StoreTarget; seeded: Seeded; plans: Plans }[] = [];
    for (const count of o.levels) {
      const target = freshTarget(store, o.pgUrl, 'scale');
      targets.push(target);
      process.stderr.write(
        `  seeding ${count.toLocaleString('en-US')} + ${count.toLocaleString('en-US')} on ${store}…\n`,
      );
      const seeded = await seed(runtime, target, count);
      process.stderr.write(`  seeded in ${(seeded.seedMs / 1000).toFixed(1)} s\n`);
      prepared.push({ target, seeded, plans: await explainPlans(target) });
      // One untimed W1 first: the first run on a fresh store (or schema) pays for cold caches
      // (PostgreSQL's catalog and buffers, the page cache), which would count against whichever
      // level happens to be measured cold, not against the size of the store.
      await flushToDisk(target);
      await runW1(runtime, target, Math.min(o.n, WARM_UP_N));
    }
    // Round-robin: each round runs every level once, so whatever drifts on the machine over
    // the minutes of a run (other load, write-back, PostgreSQL's own work) falls on all levels
    // alike instead of on the level that happened to run then.
    const runs = prepared.map(() => [] as { w1: W1Result; pending: PendingTimes }[]);
    for (let round = 0; round < o.repeats; round++) {
      for (const [i, level] of prepared.entries()) {
        const pending = await runJsonProcess<PendingTimes>(runtime, 'bench/scale/pending-process.ts', {
          dataDir: level.target.dataDir,
          settings: level.target.settings,
          samples: PENDING_SAMPLES,
        });
        await flushToDisk(level.target);
        runs[i]?.push({ pending, w1: await runW1(runtime, level.target, o.n) });
      }
    }
    return {
      levels: prepared.map(({ seeded, plans }, i) => ({ seeded, plans, run: summarise(runs[i] ?? []) })),
    };
  } finally {
    for (const target of targets) await target.dispose();
  }
}
