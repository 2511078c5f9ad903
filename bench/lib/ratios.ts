/** Capstan / anchor ratios for W1 (executions/s) and W2 (completions/s), from one invocation's figures. */
import { anchorMedians, type AnchorRow } from './anchors.ts';
import type { StoreKind } from './options.ts';
import type { ScenarioResult } from './report.ts';

export interface AnchorRatio {
  readonly anchor: string;
  readonly w1ExecutionsPerS: number | null;
  /** Capstan W1 executions/s on each store ÷ the anchor's. */
  readonly w1: Partial<Record<StoreKind, number>>;
  readonly w2CompletionsPerS: number | null;
  readonly w2: Partial<Record<StoreKind, number>>;
}

export function ratios(results: readonly ScenarioResult[], rows: readonly AnchorRow[]): AnchorRatio[] {
  const ours = { w1: {} as Partial<Record<StoreKind, number>>, w2: {} as Partial<Record<StoreKind, number>> };
  for (const r of results) {
    if (r.scenario === 'w1') ours.w1[r.store] = r.executionsPerS;
    if (r.scenario === 'w2') ours.w2[r.store] = r.completionsPerS;
  }
  const w1 = anchorMedians(rows, 'w1', 'executions_per_s');
  // run.sh runs W2 only where the system has a wait-for-signal primitive (DBOS recv/send).
  const w2 = anchorMedians(rows, 'w2', 'signals_per_s');
  const divide = (mine: Partial<Record<StoreKind, number>>, theirs: number | undefined) =>
    theirs ? Object.fromEntries(Object.entries(mine).map(([store, value]) => [store, value / theirs])) : {};
  return [...new Set([...w1.keys(), ...w2.keys()])].map((anchor) => ({
    anchor,
    w1ExecutionsPerS: w1.get(anchor) ?? null,
    w1: divide(ours.w1, w1.get(anchor)),
    w2CompletionsPerS: w2.get(anchor) ?? null,
    w2: divide(ours.w2, w2.get(anchor)),
  }));
}
