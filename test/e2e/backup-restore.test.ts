import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import pg from 'pg';
import { ADMIN_TOKEN, apiClient, startCoordinatorProcess } from '../support/coordinator-process.ts';
import { ok, runCapstan } from '../support/cli-run.ts';
import { freshSchema } from '../support/fresh-schema.ts';
import { postgresUrl } from '../support/postgres-server.ts';
import { runbookCommands } from '../support/runbook-blocks.ts';
import { openStore } from '../../src/store/open-store.ts';
import { loadConfig } from '../../src/config/load-config.ts';

const DOC = 'docs/backup-and-restore.md';

const orderInput = () => ({
  requestId: randomUUID(),
  customerName: 'Ada Lovelace',
  restaurantName: 'Cafe Capstan',
  items: '2x pasta',
  totalAmount: '27.50',
  currency: 'EUR',
});

const tempDir = (t: TestContext) => {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-backup-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};

/**
 * Submits executions one after another until stopped; `acknowledged` holds each id once its
 * 2xx arrived, in order, so a test can take the ones acknowledged before an instant.
 */
function submitContinuously(baseUrl: string) {
  const api = apiClient(baseUrl);
  const acknowledged: string[] = [];
  let running = true;
  const done = (async () => {
    while (running) {
      const r = await api.submit({ pipelineId: 'restaurant-approval', input: orderInput() });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      acknowledged.push(r.body.executionId as string);
    }
  })();
  return {
    acknowledged,
    stop: async () => {
      running = false;
      await done;
    },
  };
}

/** Runs a runbook block as the doc writes it; returns the stdout of each command. */
async function runBlock(name: string, vars: Record<string, string>, env: NodeJS.ProcessEnv) {
  const outputs: string[] = [];
  for (const args of runbookCommands(DOC, name, vars)) outputs.push(ok(await runCapstan(env, args)));
  return outputs.join('');
}

/** Every id is in the store, and the projections equal the fold of the journal. */
async function assertRestored(
  values: ReturnType<typeof loadConfig>['values'],
  dataDir: string,
  ids: string[],
) {
  const store = await openStore(values, { dataDir });
  try {
    await store.migrate();
    for (const id of ids) assert.ok(await store.getExecution('default', id), `execution ${id} is restored`);
    const before = await store.snapshotProjections();
    await store.rebuildProjections();
    assert.deepEqual(await store.snapshotProjections(), before, 'projections match the journal');
  } finally {
    await store.close();
  }
}

const cliEnv = (baseUrl: string) => ({
  ...process.env,
  CAPSTAN_URL: baseUrl,
  CAPSTAN_ADMIN_TOKEN: ADMIN_TOKEN,
});

test('SQLite rehearsal: back up while serving under load, restore into a fresh data directory', async (t) => {
  const coordinator = await startCoordinatorProcess(t);
  const dir = tempDir(t);
  const vars = {
    DATA_DIR: coordinator.dataDir,
    BACKUP_FILE: join(dir, 'capstan.backup.db'),
    RESTORE_DIR: join(dir, 'restored'),
  };
  const load = submitContinuously(coordinator.baseUrl);
  while (load.acknowledged.length < 20) await new Promise((r) => setTimeout(r, 20));
  const before = [...load.acknowledged];
  const wrote = await runBlock('sqlite-backup', vars, cliEnv(coordinator.baseUrl));
  const afterBackup = load.acknowledged.length;
  // Still serving: submissions keep being acknowledged after the backup.
  while (load.acknowledged.length < afterBackup + 5) await new Promise((r) => setTimeout(r, 20));
  await load.stop();
  const [, count] = /^wrote \S+: \d+ bytes, (\d+) executions, migration \d+$/m.exec(wrote) ?? [];
  assert.ok(Number(count) >= before.length, wrote);
  assert.match(wrote, /^copied online by the coordinator serving the data directory$/m);

  const restored = await runBlock('sqlite-restore', vars, process.env);
  assert.match(restored, new RegExp(`^restored ${vars.RESTORE_DIR}: \\d+ bytes, ${count} executions`, 'm'));
  const { values } = loadConfig({ flags: { 'capstan.data-dir': vars.RESTORE_DIR } });
  await assertRestored(values, vars.RESTORE_DIR, before);

  // A second restore into the now non-empty directory is refused, with its stable code.
  const again = await runCapstan(process.env, [
    'restore',
    '--from',
    vars.BACKUP_FILE,
    '--data-dir',
    vars.RESTORE_DIR,
  ]);
  assert.equal(again.code, 4);
  assert.match(again.stderr, /^error restore_target_not_empty: /);
});

test('PostgreSQL rehearsal: pg_dump while serving under load, restore into a fresh database', async (t) => {
  const url = await postgresUrl();
  const schema = freshSchema(t, url, 'capstan_backup');
  const database = `capstan_restore_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  t.after(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  });
  const restoreUrl = Object.assign(new URL(url), { pathname: `/${database}` }).toString();
  const coordinator = await startCoordinatorProcess(t, {
    env: {
      PIPELINE_ORCHESTRATOR_STATE_PROVIDER: 'postgres',
      PIPELINE_ORCHESTRATOR_POSTGRES_URL: url,
      PIPELINE_ORCHESTRATOR_POSTGRES_SCHEMA: schema,
    },
  });
  const dir = tempDir(t);
  const vars = {
    POSTGRES_URL: url,
    SCHEMA: schema,
    BACKUP_FILE: join(dir, 'capstan.dump'),
    RESTORE_URL: restoreUrl,
  };
  const load = submitContinuously(coordinator.baseUrl);
  while (load.acknowledged.length < 20) await new Promise((r) => setTimeout(r, 20));
  const before = [...load.acknowledged];
  const wrote = await runBlock('postgres-backup', vars, process.env);
  await load.stop();
  assert.match(wrote, /^wrote \S+: \d+ bytes, \d+ executions, migration \d+$/m);

  // A coordinator on PostgreSQL is not backed up over its admin API.
  const online = await apiClient(coordinator.baseUrl, ADMIN_TOKEN).call('POST', '/tpf/admin/backup');
  assert.equal(online.status, 409);
  assert.equal(online.body.error.code, 'online_backup_unsupported');

  const restored = await runBlock('postgres-restore', vars, process.env);
  assert.match(restored, new RegExp(`^restored schema ${schema}: \\d+ bytes, \\d+ executions`, 'm'));
  const { values } = loadConfig({
    flags: {
      'pipeline.orchestrator.state-provider': 'postgres',
      'pipeline.orchestrator.postgres.url': restoreUrl,
      'pipeline.orchestrator.postgres.schema': schema,
    },
  });
  await assertRestored(values, dir, before);
  const again = await runCapstan(process.env, [
    'restore',
    '--from',
    vars.BACKUP_FILE,
    '--postgres-url',
    restoreUrl,
    '--schema',
    schema,
  ]);
  assert.equal(again.code, 4);
  assert.match(again.stderr, /^error restore_target_not_empty: /);
});
