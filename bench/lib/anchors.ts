/**
 * `--compare`: runs the anchors harness (../shared/bench/anchors/run.sh <N>) in this invocation
 * and reads its raw results back. The harness installs its own dependencies, starts its own
 * PostgreSQL (port 55432) and Redis, and runs every anchor on Node 22 from npm; see its README.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ANCHORS_DIR = resolve(import.meta.dirname, '../../../shared/bench/anchors');

/** One `RESULT` line of the harness, as run.sh tags it into raw.jsonl. */
export interface AnchorRow {
  readonly label?: string;
  readonly kind?: string;
  readonly anchor?: string;
  readonly variant?: string;
  readonly [field: string]: unknown;
}

export interface AnchorRun {
  readonly rawFile: string;
  readonly wallS: number;
  /** The knobs this invocation gave run.sh (the rest are its defaults or the caller's environment). */
  readonly env: Record<string, string>;
  /** The Node the anchors ran on (the harness brings its own Node 22). */
  readonly node: string;
  readonly rows: readonly AnchorRow[];
}

export async function runAnchors(n: number, quick: boolean): Promise<AnchorRun> {
  const script = join(ANCHORS_DIR, 'run.sh');
  if (!existsSync(script)) throw new Error(`--compare needs ${script}`);
  // The ratios need only the anchors' W1/W2, so the physical-limit measurements (minutes of
  // pgbench and fsync tests) are skipped unless the caller sets SKIP_LIMITS itself.
  const env: Record<string, string> = { SKIP_LIMITS: process.env.SKIP_LIMITS ?? '1' };
  if (quick && process.env.REPEATS === undefined) env.REPEATS = '1';
  const t0 = performance.now();
  const child = spawn('bash', [script, String(n)], {
    cwd: ANCHORS_DIR,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    process.stderr.write(chunk);
  });
  const code = await new Promise<number | null>((done) => child.once('exit', done));
  if (code !== 0) throw new Error(`${script} exited with ${String(code)}`);
  // run.sh ends with "raw results: results/<run-id>/raw.jsonl; …".
  const relative = /raw results: (\S+raw\.jsonl)/.exec(out)?.[1];
  if (!relative) throw new Error(`${script} did not say where its raw results are`);
  const rawFile = join(ANCHORS_DIR, relative);
  const rows = readFileSync(rawFile, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as AnchorRow);
  const versions = rows.find((row) => row.kind === 'versions');
  const node = typeof versions?.node === 'string' ? versions.node : 'unknown';
  return { rawFile, wallS: (performance.now() - t0) / 1000, env, node, rows };
}

const median = (xs: readonly number[]): number | undefined => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return undefined;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};

/** Median of `field` over the repeats, per `anchor/variant`, for the rows run.sh labelled `label`. */
export function anchorMedians(rows: readonly AnchorRow[], label: string, field: string): Map<string, number> {
  const groups = new Map<string, number[]>();
  for (const row of rows) {
    const value = row[field];
    if (row.label !== label || !row.anchor || typeof value !== 'number') continue;
    const key = `${row.anchor}/${row.variant ?? 'default'}`;
    groups.set(key, [...(groups.get(key) ?? []), value]);
  }
  const out = new Map<string, number>();
  for (const [key, values] of groups) {
    const m = median(values);
    if (m !== undefined) out.set(key, m);
  }
  return out;
}
