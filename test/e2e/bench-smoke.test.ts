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
// machine and on what else runs on it; `npm run bench` is where they are measured.

const ROOT = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);
const finite = (x: unknown): boolean => typeof x === 'number' && Number.isFinite(x);

test('npm run bench runs W1–W3 on SQLite and PostgreSQL and writes well-formed JSON', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-bench-smoke-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'bench.json');
  const args = [
    '--import',
    'tsx',
    'bench/run.ts',
    '--n',
    '20',
    '--json',
    file,
    '--pg-url',
    await postgresUrl(),
  ];
  const { stdout } = await run(process.execPath, args, { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
  assert.match(stdout, /W1: 3-step pipeline/);
  assert.match(stdout, /W3: submit → SUCCEEDED/);

  const report = JSON.parse(readFileSync(file, 'utf8'));
  assert.equal(report.options.n, 20);
  assert.equal(report.machine.node, process.version);
  assert.equal(report.durability.sqlite.journal_mode, 'WAL');
  assert.equal(report.durability.sqlite.synchronous, 'FULL');
  assert.equal(typeof report.durability.postgres.synchronous_commit, 'string');
  for (const scenario of ['w1', 'w2', 'w3']) {
    for (const store of ['sqlite', 'postgres']) {
      const results = report.results.filter((r: any) => r.scenario === scenario && r.store === store); // eslint-disable-line @typescript-eslint/no-explicit-any -- arbitrary JSON
      assert.equal(results.length, 1, `${scenario} on ${store}`);
      const r = results[0];
      assert.ok(finite(r.coordinator.peakRssMb), `${scenario} ${store} peak RSS`);
      if (scenario === 'w1') {
        assert.equal(r.n, 20);
        for (const key of ['executionsPerS', 'stepsPerS', 'wallMs', 'commitsPerExecution'])
          assert.ok(finite(r[key]), `w1 ${store} ${key}`);
        assert.ok(Number.isInteger(r.commits) && r.commits > 0, 'the store counted its commits');
      } else if (scenario === 'w2') {
        assert.equal(r.n, 20);
        for (const key of ['completionsPerS', 'wallMs', 'parkMs'])
          assert.ok(finite(r[key]), `w2 ${store} ${key}`);
      } else {
        assert.deepEqual(
          (r.runs as { concurrency: number; count: number }[]).map((x) => [x.concurrency, x.count]),
          [
            [10, 20],
            [1, 20],
          ],
        );
        for (const x of r.runs)
          for (const key of ['p50Ms', 'p99Ms']) assert.ok(finite(x[key]), `w3 ${store} ${key}`);
      }
    }
  }
});
