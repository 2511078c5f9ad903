import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import { CapstanError } from '../../src/errors/catalog.ts';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { asStoreError } from '../../src/store/postgres/unavailable.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { freshSchema } from '../support/fresh-schema.ts';
import { postgresUrl } from '../support/postgres-server.ts';
import { submitted } from '../support/store-fixtures.ts';

// Each store classifies its own driver's errors (the CLI asks it, never reads codes itself),
// and by what the database reports as codes, not by the words of its message, which a
// server's lc_messages translates.

test('a PostgreSQL store knows its database unreachable: no such database, or no server at all', async (t) => {
  const url = new URL(await postgresUrl());
  url.pathname = '/capstan_no_such_database';
  const missing = new PostgresStore({ connectionString: url.href, schema: 'capstan' });
  t.after(() => missing.close());
  const noDatabase = await missing.ping().then(
    () => assert.fail('no such database'),
    (error: unknown) => error,
  );
  // Reported as the store's own 503, with the server's refusal as its cause.
  assert.ok(
    noDatabase instanceof CapstanError && noDatabase.code === 'store_unavailable',
    String(noDatabase),
  );
  assert.equal((noDatabase.cause as { code?: unknown }).code, '3D000');
  assert.ok(missing.isUnreachable(noDatabase), 'a database that does not exist cannot be reached');

  const nowhere = new PostgresStore({
    connectionString: 'postgres://capstan@127.0.0.1:1/capstan',
    schema: 'capstan',
  });
  t.after(() => nowhere.close());
  const refused = await nowhere.ping().then(
    () => assert.fail('nothing listens on port 1'),
    (error: unknown) => error,
  );
  assert.ok(nowhere.isUnreachable(refused), String(refused));

  // A statement the database refuses is no unreachable database.
  const reachable = new PostgresStore({ connectionString: await postgresUrl(), schema: 'capstan' });
  t.after(() => reachable.close());
  const client = new pg.Client({ connectionString: await postgresUrl() });
  await client.connect();
  t.after(() => client.end());
  const syntax = await client.query('SELEC 1').then(
    () => assert.fail('not SQL'),
    (error: unknown) => error,
  );
  assert.equal(reachable.isUnreachable(syntax), false);
});

test('a stale prepared plan is store_unavailable whatever language the server words it in', async (t) => {
  const client = new pg.Client({ connectionString: await postgresUrl() });
  await client.connect();
  t.after(() => client.end());
  await client.query('CREATE TEMP TABLE plan_probe (a int)');
  await client.query({ name: 'probe', text: 'SELECT * FROM plan_probe' });
  await client.query('ALTER TABLE plan_probe ADD COLUMN b int');
  const stale = await client.query({ name: 'probe', text: 'SELECT * FROM plan_probe' }).then(
    () => assert.fail('the plan is stale'),
    (error: unknown) => error,
  );
  assert.ok(stale instanceof Error);
  // What a server with lc_messages=de_DE reports: the same code and routine, other words.
  stale.message = 'zwischengespeicherter Plan darf den Ergebnistyp nicht ändern';
  const reported = asStoreError(stale);
  assert.ok(reported instanceof CapstanError && reported.code === 'store_unavailable', String(reported));
});

test('a SQLite store never calls its errors unreachable: it has no network to lose', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-unreachable-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const store = new SqliteStore({ file: join(dir, 'capstan.db') });
  t.after(() => store.close());
  assert.equal(store.isUnreachable(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })), false);
});

test('a read-only PostgreSQL database (a standby not yet promoted) is not ready, and a write is store_unavailable, never a 500', async (t) => {
  const url = await postgresUrl();
  const schema = freshSchema(t, url, 'capstan_read_only');
  const writable = new PostgresStore({ connectionString: url, schema });
  t.after(() => writable.close());
  await writable.migrate();
  await writable.ping();

  // The same database through connections that are read-only, as on a standby in recovery.
  const readOnlyUrl = new URL(url);
  readOnlyUrl.searchParams.set('options', '-c default_transaction_read_only=on');
  const readOnly = new PostgresStore({ connectionString: readOnlyUrl.href, schema });
  t.after(() => readOnly.close());
  const notReady = await readOnly.ping().then(
    () => assert.fail('a read-only database is not ready for writes'),
    (error: unknown) => error,
  );
  assert.ok(notReady instanceof CapstanError && notReady.code === 'store_unavailable', String(notReady));
  assert.match(notReady.message, /read-only/);

  // Reads still answer; a write is refused with 503 and nothing is applied.
  assert.equal(await readOnly.getExecution('default', 'missing'), undefined);
  const refused = await submitted(readOnly, 'ro-1').then(
    () => assert.fail('a read-only database takes no writes'),
    (error: unknown) => error,
  );
  assert.ok(refused instanceof CapstanError && refused.code === 'store_unavailable', String(refused));
  assert.equal(await writable.getExecution('default', 'ro-1'), undefined);
});

test('a login the database refuses at run time is store_unavailable (503), not a 500', async () => {
  const error = Object.assign(new Error('password authentication failed for user "capstan"'), {
    code: '28P01',
  });
  const reported = asStoreError(error);
  assert.ok(reported instanceof CapstanError && reported.code === 'store_unavailable', String(reported));
  const syntax = Object.assign(new Error('syntax error'), { code: '42601' });
  assert.equal(asStoreError(syntax), syntax, 'a statement the database refuses is passed on as it is');
});
