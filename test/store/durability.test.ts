import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, type TestContext } from 'node:test';
import { openSqlite } from '../../src/store/sqlite/sqlite-driver.ts';
import {
  listMigrations,
  migrate,
  pendingMigrations,
  schemaSnapshot,
} from '../../src/store/sqlite/migrate.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';

// SQLite only: WAL and synchronous pragmas, the file lock and SQLite's migrations and snapshot.
const SNAPSHOT_FILE = fileURLToPath(new URL('../../src/store/sqlite/schema.snapshot.sql', import.meta.url));
const REGENERATE = 'node --import tsx scripts/update-schema-snapshot.ts';

function tempFile(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-durability-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'data', 'capstan.db');
}

function open(t: TestContext, file: string, durability?: 'full' | 'relaxed'): SqliteStore {
  const store = new SqliteStore({ file, ...(durability ? { durability } : {}) });
  t.after(() => store.close());
  return store;
}

test('the store runs in WAL mode with synchronous=FULL by default', async (t) => {
  const store = open(t, tempFile(t));
  await store.migrate();
  assert.deepEqual(await store.durabilitySettings(), { journal_mode: 'WAL', synchronous: 'FULL' });
  await store.ping();
});

test("durability 'relaxed' runs with synchronous=NORMAL, still in WAL mode", async (t) => {
  const store = open(t, tempFile(t), 'relaxed');
  assert.deepEqual(await store.durabilitySettings(), { journal_mode: 'WAL', synchronous: 'NORMAL' });
});

test('a second store on the same file is refused while the first is open', async (t) => {
  const file = tempFile(t);
  const first = new SqliteStore({ file });
  t.after(() => first.close());
  await first.migrate();
  assert.throws(() => new SqliteStore({ file }), /in use by another coordinator process/);
  await first.ping(); // the owner is unaffected
  assert.deepEqual(await first.snapshotProjections(), { executions: [], stepOutputs: [], interactions: [] });
  await first.close();
  const second = open(t, file);
  await second.migrate();
  assert.deepEqual(await second.durabilitySettings(), { journal_mode: 'WAL', synchronous: 'FULL' });
});

test('migrations are forward-only and applied once', (t) => {
  const db = openSqlite(':memory:');
  t.after(() => db.close());
  assert.equal(pendingMigrations(db), listMigrations().length);
  assert.deepEqual(
    migrate(db, 1),
    listMigrations().map((m) => m.version),
  );
  assert.equal(pendingMigrations(db), 0);
  assert.deepEqual(migrate(db, 2), [], 'a second run applies nothing');
  const versions = listMigrations().map((m) => m.version);
  assert.deepEqual(
    versions,
    [...versions].sort((a, b) => a - b),
  );
  assert.equal(new Set(versions).size, versions.length, 'migration numbers are unique');
});

function firstDifference(actual: string, expected: string): string {
  const a = actual.split('\n');
  const e = expected.split('\n');
  for (let i = 0; i < Math.max(a.length, e.length); i++) {
    if (a[i] !== e[i])
      return `line ${i + 1}:\n  migrations: ${a[i] ?? '(none)'}\n  snapshot:   ${e[i] ?? '(none)'}`;
  }
  return '(no difference)';
}

test('the migrated schema matches the committed schema.snapshot.sql', (t) => {
  const db = openSqlite(':memory:');
  t.after(() => db.close());
  migrate(db, 0);
  const actual = schemaSnapshot(db);
  const expected = readFileSync(SNAPSHOT_FILE, 'utf8');
  assert.ok(
    actual === expected,
    `migrations drifted from schema.snapshot.sql; regenerate it with \`${REGENERATE}\` ` +
      `and review the diff.\nFirst difference at ${firstDifference(actual, expected)}`,
  );
  assert.match(expected, /^CREATE TABLE executions \(/m, 'the snapshot holds the schema');
});

test("a store's migrate() produces the snapshot schema on disk", async (t) => {
  const file = tempFile(t);
  const store = new SqliteStore({ file });
  await store.migrate();
  await store.migrate();
  await store.close();
  const db = openSqlite(file);
  t.after(() => db.close());
  assert.equal(schemaSnapshot(db), readFileSync(SNAPSHOT_FILE, 'utf8'));
});
