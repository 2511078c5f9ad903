/** W1: N executions of the 3-step pipeline, in a fresh coordinator process of their own (see w1-process.ts). */
import { randomBytes } from 'node:crypto';
import { runJsonProcess } from '../lib/json-process.ts';
import type { NodeRuntime } from '../lib/runtime.ts';
import type { StoreTarget } from '../lib/store-target.ts';

export interface W1Result {
  readonly n: number;
  readonly wallMs: number;
  readonly submitMs: number;
  readonly executionsPerS: number;
  readonly stepsPerS: number;
  readonly commits: number;
  readonly commitsPerExecution: number;
  readonly coordinator: { mode: string; peakRssMb: number; cpuS: number };
  readonly durability: Record<string, string>;
}

/** `extra` adds settings and secret env (W4's REST worker) to the target's. */
export function runW1(
  runtime: NodeRuntime,
  target: StoreTarget,
  n: number,
  extra: { settings?: Record<string, string>; env?: Record<string, string> } = {},
): Promise<W1Result> {
  return runJsonProcess<W1Result>(runtime, 'bench/scenarios/w1-process.ts', {
    n,
    runTag: randomBytes(4).toString('hex'),
    dataDir: target.dataDir,
    settings: { ...target.settings, ...extra.settings },
    env: extra.env ?? {},
  });
}
