import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import { listMigrations } from '../../src/store/postgres/migrate.ts';
import { ok, runCapstan, type CliRun } from '../support/cli-run.ts';
import { apiClient, startCoordinatorProcess } from '../support/coordinator-process.ts';
import { freshSchema } from '../support/fresh-schema.ts';
import { postgresUrl } from '../support/postgres-server.ts';
import { newOrder } from '../support/restaurant-order.ts';

// A user's path to PostgreSQL: `capstan migrate` on a fresh schema with the real binary, then a
// coordinator that does not migrate on start runs an order through the restaurant example.

/** The machine's own configuration must not leak into the commands under test. */
const cleanEnv = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !/^(PIPELINE_|CAPSTAN_|PORT$)/.test(name)),
);
const ALL = listMigrations().map(({ version, name, compatibility }) => ({ version, name, compatibility }));
const PASSWORD = `never-printed-${randomBytes(4).toString('hex')}`;

const capstan = (args: string[], env: Record<string, string> = {}): Promise<CliRun> =>
  runCapstan({ ...cleanEnv, ...env }, args);

/**
 * The test server's URL with a password that must never be printed. The local server trusts
 * loopback, so it asks for none; a URL that already has one (or PGPASSWORD) is left alone.
 */
function withPassword(url: string): string {
  const parsed = new URL(url);
  if (parsed.password || process.env.PGPASSWORD) return url;
  parsed.password = PASSWORD;
  return parsed.href;
}

async function queryOne<R extends pg.QueryResultRow>(url: string, sql: string, params: unknown[]) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(sql, params)).rows[0];
  } finally {
    await client.end();
  }
}

const postgresFlags = (url: string, schema: string) => [
  '--set',
  'pipeline.orchestrator.state-provider=postgres',
  '--set',
  `pipeline.orchestrator.postgres.url=${url}`,
  '--set',
  `pipeline.orchestrator.postgres.schema=${schema}`,
];

test('capstan migrate, then a coordinator on PostgreSQL with migrate-on-start=false runs an order', async (t) => {
  const serverUrl = await postgresUrl();
  const url = withPassword(serverUrl);
  const schema = freshSchema(t, serverUrl);
  const flags = postgresFlags(url, schema);

  // Before: everything pending, and --status creates nothing.
  const before = JSON.parse(ok(await capstan(['migrate', '--status', '--json', ...flags])));
  assert.equal(before.store, 'postgres');
  assert.equal(before.schema, schema);
  assert.deepEqual(before.pending, ALL);
  assert.equal(before.applied, undefined, '--status applies nothing');
  assert.match(before.target, new RegExp(`^PostgreSQL postgres://\\S+ \\(schema ${schema}\\)$`));
  assert.ok(!(before.target as string).includes(PASSWORD), 'the password is never printed');
  const exists = await queryOne<{ present: boolean }>(
    serverUrl,
    'SELECT to_regnamespace($1) IS NOT NULL AS present',
    [schema],
  );
  assert.equal(exists?.present, false, '--status does not create the schema');

  // Apply: what was applied is printed, and nothing is pending afterwards.
  const applied = await capstan(['migrate', ...flags]);
  assert.match(ok(applied), new RegExp(`applied ${ALL.length} migration\\(s\\) to PostgreSQL postgres://`));
  for (const m of ALL) assert.match(applied.stdout, new RegExp(m.name.replace('.', '\\.')));
  const status = await capstan(['migrate', '--status', ...flags]);
  assert.match(
    ok(status),
    new RegExp(`^schema is up to date: PostgreSQL postgres://.*\\(schema ${schema}\\)`),
  );
  const again = JSON.parse(ok(await capstan(['migrate', '--json', ...flags])));
  assert.deepEqual([again.applied, again.pending], [[], []], 'a second run applies nothing');
  for (const r of [applied, status])
    assert.ok(!`${r.stdout}${r.stderr}`.includes(PASSWORD), 'the password is never printed');

  // A coordinator that does not migrate, configured from the environment with a secret ref.
  const coordinator = await startCoordinatorProcess(t, {
    env: {
      TEST_POSTGRES_URL: url,
      PIPELINE_ORCHESTRATOR_STATE_PROVIDER: 'postgres',
      PIPELINE_ORCHESTRATOR_POSTGRES_URL: 'env:TEST_POSTGRES_URL',
      PIPELINE_ORCHESTRATOR_POSTGRES_SCHEMA: schema,
      PIPELINE_ORCHESTRATOR_POSTGRES_MIGRATE_ON_START: 'false',
    },
  });
  const api = apiClient(coordinator.baseUrl);
  const submitted = await api.submit({ pipelineId: 'restaurant-approval', input: newOrder() });
  assert.equal(submitted.status, 200, JSON.stringify(submitted.body));
  const executionId = submitted.body.executionId as string;
  assert.equal((await api.result(executionId)).body.status.status, 'WAITING_EXTERNAL');
  const pending = await api.pending('?stepId=await-restaurant-decision');
  assert.equal(pending.status, 200);
  const interaction = (
    pending.body as { executionId: string; interactionId: string; requestPayload: { orderId: string } }[]
  ).find((i) => i.executionId === executionId);
  assert.ok(interaction, 'the order waits for the restaurant');
  const completed = await api.complete({
    interactionId: interaction.interactionId,
    response: {
      accepted: { orderId: interaction.requestPayload.orderId, decidedAt: new Date().toISOString() },
    },
  });
  assert.equal(completed.status, 200, JSON.stringify(completed.body));
  const result = await api.result(executionId);
  assert.equal(result.body.status.status, 'SUCCEEDED', JSON.stringify(result.body));
  assert.equal(result.body.result.outcome, 'APPROVED');

  // The execution lives in the PostgreSQL schema, and the coordinator said which store it runs on.
  const row = await queryOne<{ status: string }>(
    serverUrl,
    `SELECT status FROM ${schema}.executions WHERE execution_id = $1`,
    [executionId],
  );
  assert.equal(row?.status, 'SUCCEEDED');
  const ready = await waitFor(() => /"msg":"coordinator ready"/.test(coordinator.output()));
  assert.ok(ready, coordinator.output());
  assert.match(coordinator.output(), new RegExp(`"store":"postgres","schema":"${schema}"`));
  assert.ok(!coordinator.output().includes(PASSWORD), 'the password is never printed');
  assert.equal(await coordinator.kill('SIGTERM'), 0);
});

test('a coordinator with migrate-on-start=false refuses an unmigrated schema; an unreachable database exits 7', async (t) => {
  const serverUrl = await postgresUrl();
  const url = withPassword(serverUrl);
  const schema = freshSchema(t, serverUrl);
  const dataDir = mkdtempSync(join(tmpdir(), 'capstan-e2e-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));

  const refused = await capstan(
    [
      'serve',
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--data-dir',
      dataDir,
      ...postgresFlags(url, schema),
      '--set',
      'pipeline.orchestrator.postgres.migrate-on-start=false',
    ],
    { CAPSTAN_LOG_LEVEL: 'warn' },
  );
  assert.notEqual(refused.code, 0, 'it does not start');
  assert.match(
    refused.stderr,
    new RegExp(
      `not up to date: ${ALL.length} migration\\(s\\) pending \\(001_initial\\.sql, .*run \`capstan migrate\``,
    ),
  );
  assert.doesNotMatch(`${refused.stdout}${refused.stderr}`, /listening on/);
  assert.doesNotMatch(refused.stderr, /\n\s+at /, 'no stack trace');
  const exists = await queryOne<{ present: boolean }>(
    serverUrl,
    'SELECT to_regnamespace($1) IS NOT NULL AS present',
    [schema],
  );
  assert.equal(exists?.present, false, 'nothing was created');

  // Nothing listens on port 1: a clean error naming the database, password masked, exit 7.
  const unreachable = await capstan([
    'migrate',
    ...postgresFlags(`postgres://capstan:${PASSWORD}@127.0.0.1:1/capstan`, schema),
  ]);
  assert.equal(unreachable.code, 7, unreachable.stderr);
  assert.match(
    unreachable.stderr,
    /^error unreachable: cannot reach PostgreSQL postgres:\/\/capstan:\*\*\*\*@127\.0\.0\.1:1\/capstan \(schema capstan_e2e_\w+\): /,
  );
  assert.ok(!unreachable.stderr.includes(PASSWORD));
  assert.doesNotMatch(unreachable.stderr, /\n\s+at /, 'no stack trace');

  // No url at all: a configuration error (78).
  const noUrl = await capstan(['migrate', '--set', 'pipeline.orchestrator.state-provider=postgres']);
  assert.equal(noUrl.code, 78);
  assert.match(
    noUrl.stderr,
    /state-provider=postgres \(from flag\) needs pipeline\.orchestrator\.postgres\.url/,
  );
});

test('capstan rebuild-projections rebuilds the projections of a PostgreSQL schema from its journal', async (t) => {
  const serverUrl = await postgresUrl();
  const schema = freshSchema(t, serverUrl);
  const flags = postgresFlags(serverUrl, schema);
  ok(await capstan(['migrate', ...flags]));
  const coordinator = await startCoordinatorProcess(t, {
    env: {
      PIPELINE_ORCHESTRATOR_STATE_PROVIDER: 'postgres',
      PIPELINE_ORCHESTRATOR_POSTGRES_URL: serverUrl,
      PIPELINE_ORCHESTRATOR_POSTGRES_SCHEMA: schema,
    },
  });
  const api = apiClient(coordinator.baseUrl);
  const submitted = await api.submit({ pipelineId: 'restaurant-approval', input: newOrder() });
  assert.equal(submitted.status, 200, JSON.stringify(submitted.body));
  const executionId = submitted.body.executionId as string;
  // Parked at the restaurant's decision before the coordinator stops, so nothing is mid-segment.
  assert.equal((await api.result(executionId)).body.status.status, 'WAITING_EXTERNAL');
  assert.equal(await coordinator.kill('SIGTERM'), 0);

  // The projection says something the journal never did; the rebuild restores the journal's word.
  const statusOf = async () =>
    (
      await queryOne<{ status: string }>(
        serverUrl,
        `SELECT status FROM ${schema}.executions WHERE execution_id = $1`,
        [executionId],
      )
    )?.status;
  const before = await statusOf();
  assert.equal(before, 'WAITING_EXTERNAL');
  await queryOne(serverUrl, `UPDATE ${schema}.executions SET status = 'FAILED' WHERE execution_id = $1`, [
    executionId,
  ]);
  assert.equal(await statusOf(), 'FAILED');

  // An empty data directory: the command must not fall back to a SQLite file there.
  const dataDir = mkdtempSync(join(tmpdir(), 'capstan-e2e-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const rebuilt = await capstan(['rebuild-projections', '--data-dir', dataDir, ...flags]);
  assert.match(
    ok(rebuilt),
    new RegExp(`projections rebuilt from the journal in PostgreSQL .*\\(schema ${schema}\\)`),
  );
  assert.equal(await statusOf(), before, 'the projection is the fold of the journal again');
  assert.ok(!existsSync(join(dataDir, 'capstan.db')), 'no SQLite store was created');
});

async function waitFor(check: () => boolean, timeoutMs = 5000): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) return false;
    await new Promise((done) => setTimeout(done, 50));
  }
  return true;
}
