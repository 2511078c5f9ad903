/**
 * CLI start-up: the wall time of `capstan --version` as an installed package runs it (compiled
 * JavaScript, no TypeScript loader), the median of N runs; the target is ≤ 0.3 s. It is built
 * from the current sources into a temporary folder laid out like an installed package
 * (package.json, bin/, dist/, node_modules): with no src/ beside bin/, the bin runs dist/.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeRuntime } from '../lib/runtime.ts';
import { num, table } from '../lib/table.ts';

export interface CliStartupResult {
  readonly command: string;
  readonly runs: number;
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly targetMs: number;
}

const TARGET_MS = 300;

function installedLayout(runtime: NodeRuntime): string {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-cli-startup-'));
  execFileSync(runtime.node, [join(runtime.root, 'scripts/build.mjs'), join(dir, 'dist')], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  copyFileSync(join(runtime.root, 'package.json'), join(dir, 'package.json'));
  cpSync(join(runtime.root, 'bin'), join(dir, 'bin'), { recursive: true });
  symlinkSync(join(runtime.root, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

export function runCliStartup(runtime: NodeRuntime, runs: number): CliStartupResult {
  const dir = installedLayout(runtime);
  try {
    const bin = join(dir, 'bin/capstan.mjs');
    // One run first, not counted: the first start after a build reads every file from disk.
    execFileSync(runtime.node, [bin, '--version']);
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      execFileSync(runtime.node, [bin, '--version']);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    return {
      command: 'capstan --version',
      runs,
      medianMs: times[Math.floor(runs / 2)] ?? Number.NaN,
      minMs: times[0] ?? Number.NaN,
      maxMs: times[runs - 1] ?? Number.NaN,
      targetMs: TARGET_MS,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function renderCliStartup(r: CliStartupResult): string {
  return table(
    `CLI start-up: \`${r.command}\` from the compiled package, median (min–max) of ${r.runs} runs`,
    ['median s', 'min–max s', 'target s'],
    [
      [
        num(r.medianMs / 1000, 3),
        `${num(r.minMs / 1000, 3)}–${num(r.maxMs / 1000, 3)}`,
        num(r.targetMs / 1000, 1),
      ],
    ],
  );
}
