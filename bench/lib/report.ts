/** The tables `npm run bench` prints: one per scenario, a row per store, and the anchor ratios. */
import type { AnchorRatio } from './ratios.ts';
import type { StoreKind } from './options.ts';
import type { Repeated } from './repeats.ts';
import { cell, num, table } from './table.ts';
import { renderScale } from './scale-report.ts';
import type { ScaleResult } from '../scenarios/scale.ts';
import type { W1Result } from '../scenarios/w1.ts';
import type { W2Result } from '../scenarios/w2.ts';
import type { W3Result } from '../scenarios/w3.ts';
import type { W4Result } from '../scenarios/w4.ts';

type Tagged<S extends string, R> = { scenario: S; store: StoreKind } & Repeated<R>;

export type ScenarioResult =
  | Tagged<'w1', W1Result>
  | Tagged<'w2', W2Result>
  | Tagged<'w3', W3Result>
  | Tagged<'w4', W4Result>
  | ({ scenario: 'scale'; store: StoreKind } & ScaleResult);

const repeats = (r: { repeats: readonly unknown[] }): string =>
  r.repeats.length > 1 ? `, median (min–max) of ${r.repeats.length} runs` : '';

export function renderTables(results: readonly ScenarioResult[]): string {
  const w1 = results.flatMap((r) => (r.scenario === 'w1' ? [r] : []));
  const w2 = results.flatMap((r) => (r.scenario === 'w2' ? [r] : []));
  const w3 = results.flatMap((r) => (r.scenario === 'w3' ? [r] : []));
  const w4 = results.flatMap((r) => (r.scenario === 'w4' ? [r] : []));
  const scale = results.flatMap((r) => (r.scenario === 'scale' ? [r] : []));
  return [
    table(
      `W1: 3-step pipeline, N = ${w1[0]?.n ?? '–'}, in-process coordinator, 64 submitters${w1[0] ? repeats(w1[0]) : ''}`,
      [
        'store',
        'executions/s',
        'steps/s',
        'wall s',
        'submit phase s',
        'commits/exec',
        'coordinator CPU s',
        'peak RSS MB',
      ],
      w1.map((r) => [
        r.store,
        cell(r.executionsPerS, r.range.executionsPerS),
        num(r.stepsPerS),
        cell(r.wallMs / 1000, r.range.wallMs && [r.range.wallMs[0] / 1000, r.range.wallMs[1] / 1000], 2),
        num(r.submitMs / 1000, 2),
        num(r.commitsPerExecution, 3),
        num(r.coordinator.cpuS, 1),
        num(r.coordinator.peakRssMb),
      ]),
    ),
    table(
      `W2: human await, N = ${w2[0]?.n ?? '–'}, over HTTP (capstan serve), 64 clients${w2[0] ? repeats(w2[0]) : ''}`,
      [
        'store',
        'completions/s',
        'complete phase s',
        'parked/s',
        'park phase s',
        'inbox reads ms',
        'coordinator CPU s',
        'peak RSS MB',
      ],
      w2.map((r) => [
        r.store,
        cell(r.completionsPerS, r.range.completionsPerS),
        num(r.wallMs / 1000, 2),
        cell(r.parkedPerS, r.range.parkedPerS),
        num(r.parkMs / 1000, 2),
        num(r.pendingListMs),
        num(r.coordinator.cpuS, 1),
        num(r.coordinator.peakRssMb),
      ]),
    ),
    table(
      `W3: submit → SUCCEEDED over HTTP, result long-poll, closed loop (ms)${w3[0] ? repeats(w3[0]) : ''}`,
      ['store', 'concurrency', 'executions', 'p50', 'p90', 'p99', 'max', 'executions/s', 'peak RSS MB'],
      w3.flatMap((r) =>
        r.runs.map((run, i) => [
          r.store,
          String(run.concurrency),
          String(run.count),
          cell(run.p50Ms, r.range.runs?.[i]?.p50Ms, 1),
          num(run.p90Ms, 1),
          cell(run.p99Ms, r.range.runs?.[i]?.p99Ms, 1),
          num(run.maxMs, 1),
          num(run.executionsPerS),
          num(r.coordinator.peakRssMb),
        ]),
      ),
    ),
    table(
      `W4: W1 with a REST worker process, N = ${w4[0]?.n ?? '–'}, 64 submitters${w4[0] ? repeats(w4[0]) : ''}`,
      [
        'store',
        'executions/s',
        'steps/s',
        'wall s',
        'commits/exec',
        'coordinator CPU s',
        'coordinator peak RSS MB',
        'worker CPU s',
        'worker peak RSS MB',
      ],
      w4.map((r) => [
        r.store,
        cell(r.executionsPerS, r.range.executionsPerS),
        num(r.stepsPerS),
        num(r.wallMs / 1000, 2),
        num(r.commitsPerExecution, 3),
        cell(r.coordinator.cpuS, r.range.coordinator?.cpuS, 1),
        num(r.coordinator.peakRssMb),
        cell(r.worker.cpuS, r.range.worker?.cpuS, 1),
        num(r.worker.peakRssMb),
      ]),
    ),
    renderScale(scale),
  ]
    .filter(Boolean)
    .join('\n');
}

export function renderRatios(rows: readonly AnchorRatio[], stores: readonly StoreKind[]): string {
  return table(
    'Capstan / anchor (same invocation; > 1 means Capstan is faster)',
    [
      'anchor',
      'anchor W1 exec/s',
      ...stores.map((s) => `W1 ${s} ÷`),
      'anchor W2 completions/s',
      ...stores.map((s) => `W2 ${s} ÷`),
    ],
    rows.map((r) => [
      r.anchor,
      num(r.w1ExecutionsPerS),
      ...stores.map((s) => num(r.w1[s], 2)),
      num(r.w2CompletionsPerS),
      ...stores.map((s) => num(r.w2[s], 2)),
    ]),
  );
}
