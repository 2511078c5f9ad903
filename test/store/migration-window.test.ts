// The compatibility window of a rolling upgrade, on both stores: a node whose code is behind
// the schema by additive migrations only starts and serves; one migration it does not know that
// is breaking (or whose compatibility was never recorded) makes it refuse, with nothing applied.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { z } from 'zod';
import {
  createCoordinator,
  hostLocalPipelines,
  LocalWorker,
  WorkerRegistry,
} from '../../src/coordinator/index.ts';
import { ManualTime } from '../../src/runtime/manual-time.ts';
import { seededRandom } from '../../src/runtime/random.ts';
import { definePipeline } from '../../src/sdk/index.ts';
import type { Migration, MigrationCompatibility } from '../../src/store/migrations.ts';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { listMigrations as postgresMigrations } from '../../src/store/postgres/migrate.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { listMigrations as sqliteMigrations } from '../../src/store/sqlite/migrate.ts';
import type { Store } from '../../src/store/store-port.ts';
import {
  createTestDatabase,
  forEachStore,
  type PostgresDatabase,
  type TestDatabase,
} from '../support/test-stores.ts';
import { claim, claimOne, get, submitted } from '../support/store-fixtures.ts';

const pipeline = definePipeline({ id: 'greet', input: z.object({ name: z.string() }) }).step('hello', {
  output: z.object({ text: z.string() }),
  run: ({ name }) => ({ text: `hello ${name}` }),
});

const known = (db: TestDatabase): Migration[] =>
  db.kind === 'sqlite' ? sqliteMigrations() : postgresMigrations();

/** The migration a newer Capstan would add after the last one this code knows. */
function futureMigration(db: TestDatabase, compatibility: MigrationCompatibility): Migration {
  const version = Math.max(...known(db).map((m) => m.version)) + 1;
  const sql =
    compatibility === 'additive'
      ? // New nullable column, new table, new index: nothing older code must write or read.
        `-- compatibility: additive
         ALTER TABLE executions ADD COLUMN future_note TEXT;
         CREATE TABLE future_notes (execution_id TEXT PRIMARY KEY, note TEXT NOT NULL);
         CREATE INDEX executions_by_future_note ON executions (future_note);`
      : `-- compatibility: breaking
         ALTER TABLE executions ADD COLUMN future_shard INTEGER NOT NULL DEFAULT 0;`;
  return {
    version,
    name: `${String(version).padStart(3, '0')}_future_${compatibility}.sql`,
    compatibility,
    sql,
  };
}

/** A store opened on the same database by a Capstan that knows `migrations`; closed when the test ends. */
function storeKnowing(t: TestContext, db: TestDatabase, migrations: readonly Migration[]): Store {
  const store =
    db.kind === 'sqlite'
      ? new SqliteStore({ file: db.file ?? '', migrations })
      : new PostgresStore({
          connectionString: (db as PostgresDatabase).url,
          schema: (db as PostgresDatabase).schema,
          poolSize: 2,
          migrations,
        });
  t.after(() => store.close());
  return store;
}

/** A newer Capstan migrates the database with one more migration, then (SQLite) lets go of the file. */
async function newerCapstanMigrates(t: TestContext, db: TestDatabase, future: Migration): Promise<void> {
  if (db.kind === 'sqlite') await db.store.close();
  const newer = storeKnowing(t, db, [...known(db), future]);
  assert.deepEqual(await newer.migrate(), [future.version], 'the newer Capstan applies its migration only');
  if (db.kind === 'sqlite') await newer.close();
}

/** A coordinator of this code on `store`, hosting `greet`; stopped when the test ends. */
async function startNode(t: TestContext, store: Store) {
  const time = new ManualTime();
  const workers = new WorkerRegistry();
  const worker = new LocalWorker('local');
  workers.add(worker);
  const coordinator = createCoordinator({
    store,
    clock: time,
    timers: time,
    random: seededRandom(3),
    workers,
    config: { maxClockSkewMs: Number.POSITIVE_INFINITY },
  });
  t.after(() => coordinator.stop());
  await coordinator.start();
  await hostLocalPipelines(coordinator, worker, [{ pipeline }], { tenantId: 'default', nowMs: time.now() });
  return coordinator;
}

async function openDatabase(t: TestContext, kind: 'sqlite' | 'postgres'): Promise<TestDatabase> {
  const db = await createTestDatabase(kind);
  t.after(() => db.dispose());
  return db;
}

forEachStore(
  'a schema ahead by an additive migration: this node starts beside it and serves',
  async (t, kind) => {
    const db = await openDatabase(t, kind);
    const future = futureMigration(db, 'additive');
    await newerCapstanMigrates(t, db, future);

    const store = kind === 'sqlite' ? await db.more() : db.store;
    assert.deepEqual(await store.pendingMigrations(), [], 'nothing of its own is pending');
    assert.deepEqual(await store.migrationsAhead(), [
      { version: future.version, name: future.name, compatibility: 'additive' },
    ]);
    assert.deepEqual(await store.migrate(), [], 'forward only: it neither applies nor undoes anything');

    const coordinator = await startNode(t, store);
    const { execution } = await coordinator.submit('default', {
      pipelineId: 'greet',
      input: { name: 'Ada' },
    });
    await coordinator.tick();
    const done = await coordinator.status('default', execution.executionId);
    assert.equal(done.status, 'SUCCEEDED');
    assert.deepEqual(done.result, { text: 'hello Ada' });
  },
);

forEachStore(
  'a schema ahead by a breaking migration: this node refuses to start, applying nothing',
  async (t, kind) => {
    const db = await openDatabase(t, kind);
    const future = futureMigration(db, 'breaking');
    await newerCapstanMigrates(t, db, future);

    const store = storeKnowing(t, db, known(db));
    const refused = { name: 'SchemaTooNewError', code: 'schema_too_new' };
    await assert.rejects(store.migrate(), refused);
    const coordinator = createCoordinator({ store, config: { maxClockSkewMs: Number.POSITIVE_INFINITY } });
    await assert.rejects(coordinator.start(), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'schema_too_new');
      assert.match(
        error.message,
        new RegExp(`\\(${future.name}: breaking\\); run the Capstan version that applied them`),
      );
      return true;
    });
    await assert.rejects(coordinator.start({ migrate: false }), refused, 'with migrate-on-start=false too');
    assert.deepEqual(await store.migrationsAhead(), [
      { version: future.version, name: future.name, compatibility: 'breaking' },
    ]);
  },
);

forEachStore(
  'a migration ahead whose compatibility was never recorded counts as breaking',
  async (t, kind) => {
    const db = await openDatabase(t, kind);
    const future = futureMigration(db, 'additive');
    await newerCapstanMigrates(t, db, future);
    await db.execSql('UPDATE schema_migrations SET compatibility = NULL WHERE version = ?', [future.version]);
    const store = storeKnowing(t, db, known(db));
    assert.deepEqual(await store.migrationsAhead(), [
      { version: future.version, name: future.name, compatibility: null },
    ]);
    await assert.rejects(store.migrate(), { code: 'schema_too_new', message: /compatibility not recorded/ });
  },
);

forEachStore(
  'a schema_migrations table an older Capstan made gains its compatibility column',
  async (t, kind) => {
    const db = await openDatabase(t, kind);
    if (kind === 'sqlite') await db.store.close();
    // As an older Capstan left it: the same migrations, recorded without their compatibility.
    await db.execSql('ALTER TABLE schema_migrations DROP COLUMN compatibility');
    const store = storeKnowing(t, db, known(db));
    assert.deepEqual(await store.migrationsAhead(), []);
    assert.deepEqual(await store.pendingMigrations(), []);
    assert.deepEqual(await store.migrate(), []);
    if (kind === 'sqlite') await store.close();
    // Every migration now says what it is, as one that does not know them reads it.
    const [first, ...rest] = known(db);
    assert.ok(first);
    const older = storeKnowing(t, db, [first]);
    assert.deepEqual(
      await older.migrationsAhead(),
      rest.map(({ version, name, compatibility }) => ({ version, name, compatibility })),
    );
  },
);

test('PostgreSQL: statements a node prepared before another node migrated additively run again, unseen', async (t) => {
  const db = await openDatabase(t, 'postgres');
  // Its pooled connections prepare the statements below before the migration changes `executions`.
  const serving = storeKnowing(t, db, known(db));
  await submitted(serving, 'x1');
  await claimOne(serving);
  assert.equal((await get(serving, 'x1'))?.status, 'RUNNING');
  await storeKnowing(t, db, [...known(db), futureMigration(db, 'additive')]).migrate();

  // A read by id (`SELECT *` on executions) and commands whose statements return execution rows.
  assert.equal((await get(serving, 'x1'))?.status, 'RUNNING');
  await submitted(serving, 'x2');
  assert.deepEqual(
    (await claim(serving)).map((s) => s.execution.executionId),
    ['x2'],
  );
  assert.equal((await serving.listExecutions('default', { limit: 10 })).length, 2);
});

test('every migration says whether it is additive, the same in both dialects', () => {
  const sqlite = sqliteMigrations().map(({ version, name, compatibility }) => ({
    version,
    name,
    compatibility,
  }));
  const postgres = postgresMigrations().map(({ version, name, compatibility }) => ({
    version,
    name,
    compatibility,
  }));
  assert.deepEqual(sqlite, postgres);
  assert.deepEqual(
    sqlite.map((m) => m.version),
    sqlite.map((_, i) => i + 1),
    'numbered from 001 without gaps',
  );
});
