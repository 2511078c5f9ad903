/** The tables `npm run bench` prints: one per scenario, a row per store, and the anchor ratios. */
import type { AnchorRatio } from './ratios.ts';
import type { StoreKind } from './options.ts';
import type { W1Result } from '../scenarios/w1.ts';
import type { W2Result } from '../scenarios/w2.ts';
import type { W3Result } from '../scenarios/w3.ts';

export type ScenarioResult =
  | ({ scenario: 'w1'; store: StoreKind } & W1Result)
  | ({ scenario: 'w2'; store: StoreKind } & W2Result)
  | ({ scenario: 'w3'; store: StoreKind } & W3Result);

const num = (x: number | null | undefined, digits = 0): string =>
  x === null || x === undefined || !Number.isFinite(x)
    ? '–'
    : x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function table(title: string, head: readonly string[], rows: readonly (readonly string[])[]): string {
  if (rows.length === 0) return '';
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [title, '', line(head), line(head.map(() => '---')), ...rows.map(line), ''].join('\n');
}

export function renderTables(results: readonly ScenarioResult[]): string {
  const w1 = results.flatMap((r) => (r.scenario === 'w1' ? [r] : []));
  const w2 = results.flatMap((r) => (r.scenario === 'w2' ? [r] : []));
  const w3 = results.flatMap((r) => (r.scenario === 'w3' ? [r] : []));
  return [
    table(
      `W1: 3-step pipeline, N = ${w1[0]?.n ?? '–'}, in-process coordinator, 64 submitters`,
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
        num(r.executionsPerS),
        num(r.stepsPerS),
        num(r.wallMs / 1000, 2),
        num(r.submitMs / 1000, 2),
        num(r.commitsPerExecution, 3),
        num(r.coordinator.cpuS, 1),
        num(r.coordinator.peakRssMb),
      ]),
    ),
    table(
      `W2: human await, N = ${w2[0]?.n ?? '–'}, over HTTP (capstan serve), 64 clients`,
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
        num(r.completionsPerS),
        num(r.wallMs / 1000, 2),
        num(r.parkedPerS),
        num(r.parkMs / 1000, 2),
        num(r.pendingListMs),
        num(r.coordinator.cpuS, 1),
        num(r.coordinator.peakRssMb),
      ]),
    ),
    table(
      'W3: submit → SUCCEEDED over HTTP, result long-poll, closed loop (ms)',
      ['store', 'concurrency', 'executions', 'p50', 'p90', 'p99', 'max', 'executions/s', 'peak RSS MB'],
      w3.flatMap((r) =>
        r.runs.map((run) => [
          r.store,
          String(run.concurrency),
          String(run.count),
          num(run.p50Ms, 1),
          num(run.p90Ms, 1),
          num(run.p99Ms, 1),
          num(run.maxMs, 1),
          num(run.executionsPerS),
          num(r.coordinator.peakRssMb),
        ]),
      ),
    ),
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
