import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { chooseSqliteDriver, openSqlite, scalar } from '../../src/store/sqlite/sqlite-driver.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';

// SQLite only: which SQLite driver opens the file, and how it binds parameters.
const major = Number(process.versions.node.split('.')[0]);

test('the driver is better-sqlite3 before Node 24 and node:sqlite from 24, unless overridden', () => {
  assert.equal(chooseSqliteDriver({}), major >= 24 ? 'node:sqlite' : 'better-sqlite3');
  assert.equal(chooseSqliteDriver({ CAPSTAN_SQLITE_DRIVER: 'better-sqlite3' }), 'better-sqlite3');
  assert.throws(
    () => chooseSqliteDriver({ CAPSTAN_SQLITE_DRIVER: 'sqlite4' }),
    /must be better-sqlite3 or node:sqlite/,
  );
});

test('a store opens with the chosen driver and runs durable settings on it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-driver-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const store = new SqliteStore({ file: join(dir, 'capstan.db') });
  t.after(() => store.close());
  assert.equal(store.driver, chooseSqliteDriver());
  await store.migrate();
  assert.deepEqual(await store.durabilitySettings(), { journal_mode: 'WAL', synchronous: 'FULL' });
});

test('node:sqlite opens where Node has it, and is refused with a clear message where it does not', () => {
  if (process.getBuiltinModule('node:sqlite')) {
    const db = openSqlite(':memory:', 'node:sqlite');
    assert.equal(db.driver, 'node:sqlite');
    db.close();
  } else {
    assert.throws(() => openSqlite(':memory:', 'node:sqlite'), /node:sqlite is not available/);
  }
});

test('a connection binds named parameters from an object and ignores keys the SQL does not name', () => {
  const db = openSqlite(':memory:');
  try {
    db.exec('CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT)');
    const row = db
      .prepare('INSERT INTO t (b) VALUES (@b) RETURNING a, b')
      .get({ b: 'x', unused: { nested: true } });
    assert.deepEqual({ ...(row as object) }, { a: 1, b: 'x' });
    assert.equal(scalar(db, 'SELECT count(*) FROM t'), 1);
    assert.equal(db.inTransaction, false);
  } finally {
    db.close();
  }
});
