import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  chooseSqliteDriver,
  isBusyOrLocked,
  openSqlite,
  scalar,
  type SqliteDriverName,
} from '../../src/store/sqlite/sqlite-driver.ts';
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

test('a database another connection holds is recognised by its result code with each driver, not by its words', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-driver-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // Each driver this Node can load (better-sqlite3 is optional; node:sqlite needs Node 22.13+).
  const drivers = (['better-sqlite3', 'node:sqlite'] as SqliteDriverName[]).filter((driver) => {
    try {
      openSqlite(':memory:', driver).close();
      return true;
    } catch {
      return false;
    }
  });
  assert.ok(drivers.includes(chooseSqliteDriver()), 'the chosen driver is among them');
  for (const driver of drivers) {
    const file = join(dir, `${driver.replace(':', '-')}.db`);
    const owner = openSqlite(file, driver);
    t.after(() => owner.close());
    for (const sql of [
      'PRAGMA locking_mode = EXCLUSIVE',
      'PRAGMA journal_mode = WAL',
      'BEGIN IMMEDIATE; COMMIT',
    ])
      owner.exec(sql);
    const second = openSqlite(file, driver);
    t.after(() => second.close());
    let refusal: unknown;
    try {
      second.exec('BEGIN IMMEDIATE; COMMIT');
    } catch (error) {
      refusal = error;
    }
    assert.ok(refusal, `${driver}: the second connection is refused`);
    assert.equal(isBusyOrLocked(refusal), true, `${driver}: ${(refusal as Error).message}`);
    // The same words in another error, and another SQLite refusal, are not taken for it.
    assert.equal(isBusyOrLocked(new Error('database is locked')), false);
    let other: unknown;
    try {
      owner.exec('SELECT * FROM no_such_table');
    } catch (error) {
      other = error;
    }
    assert.equal(isBusyOrLocked(other), false, `${driver}: ${String(other)}`);
  }
});
