/**
 * The scale scenario's table and plans: a row per store and level; W1 relative to the store's
 * empty level, the pending query relative to the first level where it returns a full page
 * (100 rows; the empty store holds one waiting interaction, so its query returns one row and
 * is no baseline for a query that returns a hundred).
 */
import type { StoreKind } from './options.ts';
import { cell, num, table } from './table.ts';
import type { ScaleResult } from '../scenarios/scale.ts';

/** The pending query's limit, as the route's default (pending-process.ts). */
const PAGE = 100;

const change = (x: number | undefined, base: number | undefined): string =>
  x === undefined || !base ? '–' : `${x >= base ? '+' : ''}${num(((x - base) / base) * 100)} %`;

export function renderScale(results: readonly ({ store: StoreKind } & ScaleResult)[]): string {
  const rows = results.flatMap((r) => {
    const empty = r.levels[0]?.run;
    const fullPage = r.levels.find((level) => level.run.pending.all.rows >= PAGE)?.run;
    return r.levels.map((level) => {
      const { run } = level;
      const p = run.pending;
      const range = run.range.pending;
      return [
        r.store,
        num(level.seeded.executions),
        num(level.seeded.waitingInteractions),
        num(level.seeded.seedMs / 1000, 1),
        cell(run.w1.executionsPerS, run.range.w1?.executionsPerS),
        change(run.w1.executionsPerS, empty?.w1.executionsPerS),
        cell(p.all.p50Ms, range?.all?.p50Ms, 2),
        change(p.all.p50Ms, fullPage?.pending.all.p50Ms),
        cell(p.group.p50Ms, range?.group?.p50Ms, 2),
        change(p.group.p50Ms, fullPage?.pending.group.p50Ms),
        cell(p.noMatch.p50Ms, range?.noMatch?.p50Ms, 2),
      ];
    });
  });
  const runs = results[0]?.levels[0]?.run.repeats.length ?? 0;
  const plans = results.flatMap((r) => {
    const largest = r.levels[r.levels.length - 1];
    if (!largest) return [];
    return [
      `Plans on ${r.store} at ${num(largest.seeded.executions)} executions:`,
      ...Object.entries(largest.plans).flatMap(([name, plan]) => [`-- ${name}`, plan]),
      '',
    ];
  });
  const title =
    `Scale: W1 (N = ${results[0]?.levels[0]?.run.w1.n ?? '–'}) and the pending-interactions query (limit 100) ` +
    `on a seeded store, median (min–max) of ${runs} runs; W1 % against the empty store, ` +
    `pending % against the first level with a full page (${PAGE} rows)`;
  return [
    table(
      title,
      [
        'store',
        'executions',
        'waiting interactions',
        'seed s',
        'W1 exec/s',
        'W1 vs empty',
        'pending all ms',
        'all vs full page',
        'pending group ms',
        'group vs full page',
        'pending no-match ms',
      ],
      rows,
    ),
    ...(rows.length ? plans : []),
  ].join('\n');
}
