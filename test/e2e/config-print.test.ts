import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

const ROOT = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);

// The parent's own configuration must not leak into what the CLI prints.
const cleanEnv = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !/^(PIPELINE_|CAPSTAN_|PORT$)/.test(name)),
);
const capstan = (args: string[], env: Record<string, string> = {}) =>
  run(process.execPath, ['bin/capstan.mjs', ...args], { cwd: ROOT, env: { ...cleanEnv, ...env } });

test('capstan config print: values and sources from file, env and flags; refs shown, warnings on stderr', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-config-print-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'capstan.yaml');
  writeFileSync(
    file,
    [
      'pipeline:',
      '  orchestrator:',
      '    max-retries: 7',
      '    lease-ms: 1000',
      '    admin.admin-token-ref: file:/run/secrets/admin',
      '    dynamo.region: eu-west-1',
      'quarkus.http.port: 8081',
      '',
    ].join('\n'),
  );
  const env = {
    PIPELINE_ORCHESTRATOR_LEASE_MS: '5000',
    PIPELINE_ORCHESTRATOR_CONTROL_PLANE_ADMIN_TOKEN_REF: 'env:OP',
  };
  const flags = ['--port', '9999', '--set', 'pipeline.orchestrator.sweep-limit=42'];

  const json = await capstan(['config', 'print', '--config', file, '--json', ...flags], env);
  const printed = JSON.parse(json.stdout);
  assert.deepEqual(printed['pipeline.orchestrator.max-retries'], { value: 7, source: 'file' });
  assert.deepEqual(printed['pipeline.orchestrator.lease-ms'], { value: 5000, source: 'env' });
  assert.deepEqual(printed['pipeline.orchestrator.sweep-limit'], { value: 42, source: 'flag' });
  assert.deepEqual(printed['capstan.port'], { value: 9999, source: 'flag' });
  assert.deepEqual(printed['pipeline.orchestrator.retry-delay'], { value: 'PT10S', source: 'default' });
  assert.deepEqual(printed['capstan.node-id'], { value: null, source: 'default' });
  // Refs say where a secret lives, so they are shown as they are.
  assert.deepEqual(printed['pipeline.orchestrator.admin.admin-token-ref'], {
    value: 'file:/run/secrets/admin',
    source: 'file',
  });
  assert.deepEqual(printed['pipeline.orchestrator.control-plane.admin-token-ref'], {
    value: 'env:OP',
    source: 'env',
  });
  assert.deepEqual(Object.keys(printed), Object.keys(printed).sort(), 'sorted by key');
  assert.match(json.stderr, /warning: ignored setting 'pipeline\.orchestrator\.dynamo\.region'/);
  assert.match(json.stderr, /warning: ignored setting 'quarkus\.http\.port'/);

  // The table, with the file named by CAPSTAN_CONFIG instead of --config.
  const table = await capstan(['config', 'print', ...flags], { ...env, CAPSTAN_CONFIG: file });
  const lines = table.stdout.trimEnd().split('\n');
  assert.match(lines[0] ?? '', /^KEY\s+VALUE\s+SOURCE$/);
  const keys = lines.slice(1).map((line) => line.split(/\s+/)[0] ?? '');
  assert.deepEqual(keys, [...keys].sort(), 'sorted by key');
  assert.equal(keys.length, Object.keys(printed).length);
  assert.match(table.stdout, /^pipeline\.orchestrator\.max-retries\s+7\s+file$/m);
  assert.match(table.stdout, /^pipeline\.orchestrator\.lease-ms\s+5000\s+env$/m);
  assert.match(table.stdout, /^pipeline\.orchestrator\.sweep-limit\s+42\s+flag$/m);
  assert.match(
    table.stdout,
    /^pipeline\.orchestrator\.admin\.admin-token-ref\s+file:\/run\/secrets\/admin\s+file$/m,
  );
  assert.match(table.stdout, /^capstan\.log-level\s+info\s+default$/m);
});

test('capstan config print exits 78 and lists the problem on stderr for an invalid value', async () => {
  const failed = await capstan(['config', 'print', '--set', 'pipeline.orchestrator.max-retries=-1']).then(
    () => assert.fail('expected a non-zero exit'),
    (error: { code?: number; stdout: string; stderr: string }) => error,
  );
  assert.equal(failed.code, 78, failed.stderr);
  assert.match(
    failed.stderr,
    /invalid configuration:\n\s+- pipeline\.orchestrator\.max-retries \(from flag\)/,
  );
  assert.equal(failed.stdout, '');
});
