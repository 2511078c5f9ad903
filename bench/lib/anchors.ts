/**
 * `--compare`: runs the anchors harness (its `run.sh <N>`; where it is found: `anchorsDir` below,
 * and docs/performance.md#compared-with-the-anchors) in this invocation
 * and reads its raw results back. The harness installs its own dependencies, starts its own
 * PostgreSQL and Redis (on ports 25432 and 26379 here, below the ephemeral range), and runs every anchor on Node 22 from npm; see its README.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * Where the anchors harness is: `$CAPSTAN_ANCHORS_DIR`, else `shared/bench/anchors` in the
 * checkout's parent folder or the nearest ancestor that has one (a fresh clone may sit deeper
 * than a checkout that has the harness's folder beside it).
 */
export function anchorsDir(): string {
  const configured = process.env.CAPSTAN_ANCHORS_DIR;
  if (configured) return resolve(configured);
  const checkout = resolve(import.meta.dirname, '../..');
  for (let folder = dirname(checkout); ; folder = dirname(folder)) {
    const candidate = join(folder, 'shared/bench/anchors');
    if (existsSync(join(candidate, 'run.sh'))) return candidate;
    if (dirname(folder) === folder) return join(dirname(checkout), 'shared/bench/anchors');
  }
}

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

/** The harness's run.sh; throws, saying where it looked, when there is none. */
export function anchorsScript(): string {
  const script = join(anchorsDir(), 'run.sh');
  if (!existsSync(script))
    throw new Error(`--compare needs the anchors harness: no ${script} (set CAPSTAN_ANCHORS_DIR)`);
  return script;
}

export async function runAnchors(n: number, quick: boolean): Promise<AnchorRun> {
  const script = anchorsScript();
  const dir = dirname(script);
  // The ratios need only the anchors' W1/W2, so the physical-limit measurements (minutes of
  // pgbench and fsync tests) are skipped unless the caller sets SKIP_LIMITS itself.
  const env: Record<string, string> = {
    SKIP_LIMITS: process.env.SKIP_LIMITS ?? '1',
    // The harness's own ports (55432, 56379) lie in Linux's ephemeral range (32768–60999): after
    // Capstan's scenarios have opened tens of thousands of loopback connections, one of them
    // may still hold the port (TIME_WAIT) and the harness's PostgreSQL cannot bind it. Ports
    // below the range are never handed to a client socket.
    PG_PORT: process.env.PG_PORT ?? '25432',
    REDIS_PORT: process.env.REDIS_PORT ?? '26379',
  };
  if (quick && process.env.REPEATS === undefined) env.REPEATS = '1';
  const t0 = performance.now();
  const child = spawn('bash', [script, String(n)], {
    cwd: dir,
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
  const rawFile = join(dir, relative);
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
