/** W1: N executions of the 3-step pipeline, in a fresh coordinator process of their own (see w1-process.ts). */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { coordinatorNodeFlags } from '../lib/process-resources.ts';
import type { StoreTarget } from '../lib/store-target.ts';

const ROOT = resolve(import.meta.dirname, '../..');

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

export async function runW1(target: StoreTarget, n: number): Promise<W1Result> {
  const args = JSON.stringify({ n, dataDir: target.dataDir, settings: target.settings });
  // A process per run: its peak RSS is this run's alone, and no run inherits another's JIT or heap.
  const child = spawn(
    process.execPath,
    [...coordinatorNodeFlags(), '--import', 'tsx', join(ROOT, 'bench/scenarios/w1-process.ts'), args],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise<number | null>((done) => child.once('exit', done));
  const last = out.trim().split('\n').pop() ?? '';
  if (code !== 0) throw new Error(`w1 process exited with ${String(code)}:\n${out}`);
  return JSON.parse(last) as W1Result;
}
