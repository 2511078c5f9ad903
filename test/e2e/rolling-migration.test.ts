// A rolling coordinator upgrade on PostgreSQL, inside the compatibility window: while a node of
// this version serves under load, a newer node migrates the shared schema with an additive
// migration; both keep serving, and a node of this version still starts on the migrated schema.
// A breaking migration ahead makes `capstan migrate` and `capstan serve` refuse, exit 78.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test, type TestContext } from 'node:test';
import pg from 'pg';
import {
  createCoordinator,
  hostLocalPipelines,
  LocalWorker,
  WorkerRegistry,
} from '../../src/coordinator/index.ts';
import { loadPipelines } from '../../src/releases/load-pipelines.ts';
import type { Migration } from '../../src/store/migrations.ts';
import { listMigrations } from '../../src/store/postgres/migrate.ts';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { ok, runCapstan } from '../support/cli-run.ts';
import { CLUSTER_PIPELINES, startNode, type ClusterNode } from '../support/cluster.ts';
import { apiClient } from '../support/coordinator-process.ts';
import { eventually } from '../support/eventually.ts';
import { freshSchema } from '../support/fresh-schema.ts';
import { postgresUrl } from '../support/postgres-server.ts';
import { runbookCommands } from '../support/runbook-blocks.ts';
import { spawnProcess } from '../support/spawned-process.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const DOC = 'docs/upgrade-and-drain.md';
const NEXT = Math.max(...listMigrations().map((m) => m.version)) + 1;
/** A migration file's number, as its name starts. */
const NNN = String(NEXT).padStart(3, '0');

/** What a newer Capstan adds: a nullable column on the hottest table, a table and an index. */
const ADDITIVE: Migration = {
  version: NEXT,
  name: `${NNN}_execution_labels.sql`,
  compatibility: 'additive',
  sql: `ALTER TABLE executions ADD COLUMN label TEXT;
        CREATE TABLE execution_labels (label TEXT PRIMARY KEY, note TEXT);
        CREATE INDEX executions_by_label ON executions (label) WHERE label IS NOT NULL;`,
};

/**
 * Submits `cluster-quick` orders to a node one after another until stopped; every one must be
 * acknowledged: the migration another node applies is invisible to this node's clients (a
 * statement it finds stale is run again by the store, never answered 503).
 */
function submitContinuously(node: ClusterNode) {
  const acknowledged: string[] = [];
  let running = true;
  const done = (async () => {
    for (let n = 0; running; n++) {
      const r = await node.api.submit({
        pipelineId: 'cluster-quick',
        idempotencyKey: `order-${n}`,
        input: { n },
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      acknowledged.push(r.body.executionId as string);
    }
  })();
  return {
    acknowledged,
    /** Resolves once `count` orders are acknowledged; rejects with the load's first failure. */
    until: (count: number) =>
      Promise.race([
        done,
        eventually(`${count} orders acknowledged`, () => (acknowledged.length >= count ? true : undefined)),
      ]),
    stop: async () => {
      running = false;
      await done;
    },
  };
}

/** A newer node in this process: its store knows one more migration; it migrates at start. */
async function startNewerNode(t: TestContext, url: string, schema: string) {
  const store = new PostgresStore({
    connectionString: url,
    schema,
    poolSize: 2,
    migrations: [...listMigrations(), ADDITIVE],
  });
  const workers = new WorkerRegistry();
  const worker = new LocalWorker('node-newer-local');
  workers.add(worker);
  const coordinator = createCoordinator({ store, workers, config: { nodeId: 'node-newer' } });
  t.after(async () => {
    await coordinator.stop();
    await store.close();
  });
  await coordinator.start();
  await hostLocalPipelines(coordinator, worker, await loadPipelines([CLUSTER_PIPELINES]), {
    tenantId: 'default',
    nowMs: Date.now(),
  });
  return coordinator;
}

async function recordedVersions(url: string, schema: string): Promise<number[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const r = await client.query<{ version: number }>(
      `SELECT version FROM ${schema}.schema_migrations ORDER BY version`,
    );
    return r.rows.map((row) => row.version);
  } finally {
    await client.end();
  }
}

test('a newer node migrates additively while a node of this version serves: both keep serving', async (t) => {
  const url = await postgresUrl();
  const schema = freshSchema(t, url, 'capstan_rolling');
  const nodeA = await startNode(t, { url, schema, nodeId: 'node-a', pipelines: [CLUSTER_PIPELINES] });
  const load = submitContinuously(nodeA);
  await load.until(20);

  const newer = await startNewerNode(t, url, schema);
  assert.equal((await recordedVersions(url, schema)).at(-1), NEXT, 'the newer node applied its migration');
  const atMigration = load.acknowledged.length;
  await load.until(atMigration + 20);
  await load.stop();

  // Node A acknowledged work after the migration, and ran it all to the end.
  for (const id of load.acknowledged)
    await eventually(`${id} succeeded`, async () => {
      const r = await nodeA.api.result(id, 5000);
      return r.body.status.status === 'SUCCEEDED' ? true : undefined;
    });
  assert.equal(
    (await apiClient(nodeA.baseUrl, null).call('GET', '/api/ready')).status,
    200,
    'node A is ready',
  );
  // The newer node serves too: it takes orders and reads what node A ran.
  const { execution } = await newer.submit('default', {
    pipelineId: 'cluster-quick',
    idempotencyKey: 'on-newer',
    input: { n: 1 },
  });
  await eventually('the newer node runs its order', async () =>
    (await newer.status('default', execution.executionId)).status === 'SUCCEEDED' ? true : undefined,
  );
  assert.equal((await newer.status('default', load.acknowledged[0] ?? '')).status, 'SUCCEEDED');

  // A node of this version still starts on the migrated schema, and says it runs within the window.
  const nodeC = await startNode(t, { url, schema, nodeId: 'node-c', pipelines: [CLUSTER_PIPELINES] });
  assert.match(nodeC.output(), /ahead of this node by additive migrations only/);
  const onC = await nodeC.api.submit({
    pipelineId: 'cluster-quick',
    idempotencyKey: 'on-c',
    input: { n: 2 },
  });
  assert.equal(onC.status, 200, JSON.stringify(onC.body));
  assert.equal((await nodeC.api.result(onC.body.executionId as string)).body.status.status, 'SUCCEEDED');

  // The runbook's migrate blocks (docs/upgrade-and-drain.md) with this version's binary and the
  // nodes' configuration: nothing pending, the newer migration listed as ahead and additive.
  const env = {
    ...process.env,
    PIPELINE_ORCHESTRATOR_STATE_PROVIDER: 'postgres',
    PIPELINE_ORCHESTRATOR_POSTGRES_URL: url,
    PIPELINE_ORCHESTRATOR_POSTGRES_SCHEMA: schema,
  };
  for (const block of ['migrate-status', 'migrate']) {
    const [args, ...more] = runbookCommands(DOC, block, {});
    assert.ok(args && more.length === 0);
    const printed = ok(await runCapstan(env, args));
    assert.match(printed, new RegExp(`^schema is up to date: PostgreSQL .*\\(schema ${schema}\\)$`, 'm'));
    assert.match(
      printed,
      /^1 migration\(s\) ahead of this Capstan, all additive: it may run on this schema$/m,
    );
    assert.match(printed, new RegExp(`^${NEXT}\\s+${ADDITIVE.name.replace('.', '\\.')}\\s+additive$`, 'm'));
  }
  const status = JSON.parse(ok(await runCapstan(env, ['migrate', '--status', '--json']))) as {
    pending: unknown[];
    ahead: unknown[];
  };
  assert.deepEqual(status.pending, []);
  assert.deepEqual(status.ahead, [{ version: NEXT, name: ADDITIVE.name, compatibility: 'additive' }]);
});

test('a breaking migration ahead: capstan migrate and capstan serve refuse with schema_too_new, exit 78', async (t) => {
  const url = await postgresUrl();
  const schema = freshSchema(t, url, 'capstan_rolling');
  const flags = [
    '--set',
    'pipeline.orchestrator.state-provider=postgres',
    '--set',
    `pipeline.orchestrator.postgres.url=${url}`,
    '--set',
    `pipeline.orchestrator.postgres.schema=${schema}`,
  ];
  ok(await runCapstan(process.env, ['migrate', ...flags]));
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(
      `INSERT INTO ${schema}.schema_migrations (version, name, applied_at, compatibility)
      VALUES ($1, $2, 0, 'breaking')`,
      [NEXT, `${NNN}_execution_shards.sql`],
    );
  } finally {
    await client.end();
  }

  for (const args of [['migrate'], ['migrate', '--status']]) {
    const refused = await runCapstan(process.env, [...args, ...flags]);
    assert.equal(refused.code, 78, refused.stderr);
    assert.match(
      refused.stderr,
      new RegExp(
        `^error schema_too_new: PostgreSQL .*\\(schema ${schema}\\): .*\\(${NNN}_execution_shards\\.sql: breaking\\)`,
      ),
    );
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'capstan-rolling-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const serve = spawnProcess(
    process.execPath,
    [
      join(ROOT, 'bin/capstan.mjs'),
      'serve',
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--data-dir',
      dataDir,
      ...flags,
    ],
    { cwd: ROOT, env: { ...process.env } },
  );
  t.after(() => serve.kill('SIGKILL'));
  assert.equal(await serve.exited, 78, serve.output());
  assert.match(serve.output(), /error schema_too_new: /);
  assert.equal((await recordedVersions(url, schema)).at(-1), NEXT, 'nothing was applied or undone');
});
