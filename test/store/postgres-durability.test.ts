import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import {
  assertSynchronousCommit,
  StoreNotDurableError,
} from '../../src/store/postgres/durable-connection.ts';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { databaseWithAsyncCommit } from '../support/async-commit-database.ts';
import { postgresUrl } from '../support/postgres-server.ts';

// A database (or role) whose default is `synchronous_commit = off` acknowledges commits a
// server crash can lose. The store forces it on for every connection it opens, and refuses
// a connection that still reports otherwise.

test('every pooled connection runs with synchronous_commit=on on a database whose default is off', async (t) => {
  const url = await databaseWithAsyncCommit(t);
  const plain = new pg.Client({ connectionString: url });
  await plain.connect();
  const { rows } = await plain.query<{ synchronous_commit: string }>('SHOW synchronous_commit');
  await plain.end();
  assert.equal(rows[0]?.synchronous_commit, 'off', 'the database default is off');

  const store = new PostgresStore({ connectionString: url, schema: 'capstan', poolSize: 4 });
  t.after(() => store.close());
  await store.migrate();
  // Four reads issued at once on an idle pool of four: each opens a connection of its own.
  const settings = await Promise.all([1, 2, 3, 4].map(() => store.durabilitySettings()));
  assert.deepEqual(
    settings.map((s) => s.synchronous_commit),
    ['on', 'on', 'on', 'on'],
  );
  // A URL that carries its own `options` cannot undo it either.
  const withOptions = new URL(url);
  withOptions.searchParams.set('options', '-c synchronous_commit=off');
  const second = new PostgresStore({ connectionString: withOptions.toString(), schema: 'capstan' });
  t.after(() => second.close());
  assert.deepEqual(await second.durabilitySettings(), { synchronous_commit: 'on' });
  await second.ping();
});

test('a connection that reports synchronous_commit other than on is refused', async (t) => {
  // No server setting can beat the startup option the store sends, so the refusal is tested on
  // the check itself, on a real connection switched off after connecting (as a pooler that
  // drops startup options, or a session default it replays, would leave it).
  const client = new pg.Client({ connectionString: await postgresUrl() });
  await client.connect();
  t.after(() => client.end());
  await assertSynchronousCommit(client);
  await client.query('SET synchronous_commit = off');
  await assert.rejects(assertSynchronousCommit(client), (error: unknown) => {
    assert.ok(error instanceof StoreNotDurableError);
    assert.match(error.message, /synchronous_commit=off/);
    return true;
  });
  await client.query('SET synchronous_commit = local');
  await assert.rejects(assertSynchronousCommit(client), StoreNotDurableError);
});
