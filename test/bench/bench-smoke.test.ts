import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { postgresUrl } from '../support/postgres-server.ts';

// The benchmark's code runs end to end on a tiny N: every scenario on both stores, and a JSON
// file a later run can be compared with. It never asserts a time or a rate: those depend on the
// machine and on what else runs on it; `npm run bench` is where they are measured. The two
// invocations run at once, to keep this test short on 2 cores; no figure of theirs is looked at.

const ROOT = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);
const finite = (x: unknown): boolean => typeof x === 'number' && Number.isFinite(x);
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- arbitrary JSON
type Json = any;

async function bench(
  dir: string,
  name: string,
  options: readonly string[],
): Promise<{ stdout: string; report: Json }> {
  const file = join(dir, `${name}.json`);
  const args = [
    '--import',
    'tsx',
    'bench/run.ts',
    '--n',
    '20',
    '--cli-runs',
    '3',
    '--json',
    file,
    '--pg-url',
    await postgresUrl(),
  ];
  const { stdout } = await run(process.execPath, [...args, ...options], {
    cwd: ROOT,
    maxBuffer: 16 * 1024 * 1024,
  });
  return { stdout, report: JSON.parse(readFileSync(file, 'utf8')) };
}

function resultsOf(report: Json, scenario: string, store: string): Json[] {
  const results: Json[] = report.results;
  return results.filter((r) => r.scenario === scenario && r.store === store);
}

function checkW1(r: Json, label: string): void {
  assert.equal(r.n, 20);
  for (const key of ['executionsPerS', 'stepsPerS', 'wallMs', 'commitsPerExecution'])
    assert.ok(finite(r[key]), `${label} ${key}`);
  assert.ok(r.commits > 0, `${label}: the store counted its commits`);
  assert.ok(finite(r.coordinator.peakRssMb), `${label} peak RSS`);
}

test('npm run bench runs W1–W4 and the scale runs on SQLite and PostgreSQL and writes well-formed JSON', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-bench-smoke-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const [basic, more] = await Promise.all([
    bench(dir, 'w1-w3', ['--scenarios', 'w1,w2,w3']),
    bench(dir, 'w4-scale', ['--scenarios', 'w4,scale', '--scale-levels', '10', '--repeats', '2']),
  ]);
  assert.match(basic.stdout, /W1: 3-step pipeline/);
  assert.match(basic.stdout, /W3: submit → SUCCEEDED/);
  assert.match(more.stdout, /W4: W1 with a REST worker process/);
  assert.match(more.stdout, /Scale: W1/);

  const { report } = basic;
  assert.equal(report.options.n, 20);
  assert.equal(report.machine.node, process.version);
  assert.equal(report.machine.capstanNode, process.version);
  assert.equal(report.durability.sqlite.journal_mode, 'WAL');
  assert.equal(report.durability.sqlite.synchronous, 'FULL');
  assert.equal(typeof report.durability.postgres.synchronous_commit, 'string');
  assert.match(basic.stdout, /CLI start-up: `capstan --version`/);
  assert.equal(report.cliStartup.runs, 3);
  for (const key of ['medianMs', 'minMs', 'maxMs']) assert.ok(finite(report.cliStartup[key]), `cli ${key}`);
  for (const store of ['sqlite', 'postgres']) {
    const [w1] = resultsOf(report, 'w1', store);
    checkW1(w1, `w1 ${store}`);
    assert.equal(w1.repeats.length, 1);
    const [w2] = resultsOf(report, 'w2', store);
    assert.equal(w2.n, 20);
    for (const key of ['completionsPerS', 'wallMs', 'parkMs'])
      assert.ok(finite(w2[key]), `w2 ${store} ${key}`);
    const [w3] = resultsOf(report, 'w3', store);
    assert.deepEqual(
      (w3.runs as { concurrency: number; count: number }[]).map((x) => [x.concurrency, x.count]),
      [
        [10, 20],
        [1, 20],
      ],
    );
    for (const x of w3.runs)
      for (const key of ['p50Ms', 'p99Ms']) assert.ok(finite(x[key]), `w3 ${store} ${key}`);

    const [w4] = resultsOf(more.report, 'w4', store);
    checkW1(w4, `w4 ${store}`);
    assert.equal(w4.repeats.length, 2, 'w4 ran twice');
    assert.equal(w4.range.executionsPerS.length, 2, 'w4 has a min–max');
    assert.ok(finite(w4.worker.peakRssMb) && finite(w4.worker.cpuS), `w4 ${store} worker resources`);

    const [scale] = resultsOf(more.report, 'scale', store);
    assert.equal(scale.levels.length, 1);
    const [level] = scale.levels;
    assert.equal(level.seeded.count, 10);
    assert.equal(level.seeded.executions, 22, 'ten finished and ten parked clones, and the two templates');
    assert.equal(level.seeded.waitingInteractions, 11);
    assert.equal(level.run.repeats.length, 2);
    checkW1(level.run.w1, `scale w1 ${store}`);
    assert.equal(level.run.pending.group.rows, 11, 'the pending query sees every seeded interaction');
    assert.equal(level.run.pending.noMatch.rows, 0);
    // A plan, whatever it is: on 22 rows PostgreSQL rightly prefers a sequential scan.
    assert.ok(level.plans.claim.length > 0 && level.plans['pending noMatch'].length > 0, 'plans recorded');
  }
});

test('--compare without the anchors harness says where it looked and exits 2 before running anything', async () => {
  const missing = join(tmpdir(), 'capstan-no-anchors-here');
  const failed = await run(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--compare', '--n', '20'], {
    cwd: ROOT,
    env: { ...process.env, CAPSTAN_ANCHORS_DIR: missing },
  }).then(
    () => undefined,
    (error: { code?: number; stdout?: string; stderr?: string }) => error,
  );
  assert.ok(failed, 'the benchmark must refuse to start');
  assert.equal(failed.code, 2);
  assert.match(failed.stderr ?? '', /needs the anchors harness: no .*capstan-no-anchors-here\/run\.sh/);
  assert.doesNotMatch(failed.stderr ?? '', /w1 on sqlite/, 'no scenario ran');
});
