import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import pg from 'pg';
import { listMigrations, schemaSnapshot } from '../../src/store/postgres/migrate.ts';
import type { ClaimedSegment } from '../../src/store/store-port.ts';
import { claim, get, journalTypes, submitCommand, submitted, T0 } from '../support/store-fixtures.ts';
import { openPostgresStores, type PostgresDatabase } from '../support/test-stores.ts';

// What only the shared store does: several store handles (nodes) on one schema, the schema
// and its migrations, and PostgreSQL's own types and transactions. The port's behaviour is
// tested on every store in store-fencing, store-commands and the engine suites.

async function query<R extends pg.QueryResultRow>(db: PostgresDatabase, sql: string): Promise<R[]> {
  const pool = new pg.Pool({ connectionString: db.url, max: 1 });
  try {
    return (await pool.query<R>(sql)).rows;
  } finally {
    await pool.end();
  }
}

test('migrate twice is a no-op; the dialect is postgres and not exclusive', async (t) => {
  const db = await openPostgresStores(t, { nowMs: () => T0 });
  const { store } = db;
  await store.migrate();
  await store.migrate();
  assert.equal(store.dialect, 'postgres');
  assert.equal(store.exclusive, false);
  await store.ping();
  const versions = await query<{ version: number }>(
    db,
    `SELECT version FROM ${db.schema}.schema_migrations ORDER BY version`,
  );
  assert.deepEqual(
    versions.map((r) => r.version),
    listMigrations().map((m) => m.version),
  );
});

test('nodes migrating one schema at once apply each migration once (advisory lock)', async (t) => {
  const db = await openPostgresStores(t, { nowMs: () => T0, migrate: false });
  const nodes = [db.store, ...(await Promise.all([db.more(), db.more(), db.more()]))];
  await Promise.all(nodes.map((node) => node.migrate()));
  const applied = await query<{ version: number }>(db, `SELECT version FROM ${db.schema}.schema_migrations`);
  assert.equal(applied.length, listMigrations().length, 'no migration recorded twice');
  // Every node can use the schema at once.
  await Promise.all(nodes.map((node, i) => submitted(node, `n${i}`)));
  assert.equal((await get(nodes[0] ?? db.store, 'n3'))?.status, 'QUEUED');
});

test('the migrated schema matches the committed snapshot', async (t) => {
  const { store, schema, url } = await openPostgresStores(t, { nowMs: () => T0 });
  const committed = readFileSync(
    new URL('../../src/store/postgres/schema.snapshot.sql', import.meta.url),
    'utf8',
  );
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    assert.equal(
      await schemaSnapshot(pool, schema),
      committed,
      'run scripts/update-postgres-schema-snapshot.ts after adding a migration',
    );
  } finally {
    await pool.end();
  }
  assert.equal(store.schema, schema);
});

test('durabilitySettings reports synchronous_commit on', async (t) => {
  const { store } = await openPostgresStores(t, { nowMs: () => T0 });
  assert.deepEqual(await store.durabilitySettings(), { synchronous_commit: 'on' });
});

test('BIGINT columns arrive as numbers: records, outbox ids, activation seqs, snapshot rows', async (t) => {
  const { store } = await openPostgresStores(t, { nowMs: () => T0 });
  const created = await submitted(store, 'x1');
  assert.equal(created.createdAtMs, T0, 'epoch ms beyond 2^31');
  const [claimed] = await claim(store);
  assert.equal(claimed?.execution.leaseExpiresAtMs, T0 + 1000);
  await store.fail({
    executionId: 'x1',
    leaseEpoch: 1,
    stepIndex: 0,
    failure: { errorCode: 'e', errorMessage: 'm' },
    decision: { kind: 'dlq', reason: 'non_retryable' },
    publication: { topic: 'dlq', payload: {} },
    nowMs: T0 + 1,
    expiresAtMs: T0 + 99_000,
  });
  assert.equal(typeof (await store.readOutbox(10))[0]?.id, 'number');
  await store.registerRelease({
    tenantId: 'default',
    pipelineId: 'p',
    releaseVersion: 'r1',
    contractVersion: 'c',
    descriptor: {},
    contract: {} as never,
    primaryArtifactDigest: 'd',
    createdAtMs: T0,
  });
  await store.activateRelease({
    tenantId: 'default',
    pipelineId: 'p',
    releaseVersion: 'r1',
    activatedAtMs: T0,
    actor: 'ci',
  });
  assert.equal(typeof (await store.listActivations('default', 'p'))[0]?.seq, 'number');
  // Snapshot rows are raw rows, so they show the pool's type parser itself.
  const snapshot = (await store.snapshotProjections()) as { executions: Record<string, unknown>[] };
  assert.equal(snapshot.executions[0]?.created_at, T0);
  assert.equal(snapshot.executions[0]?.expires_at, T0 + 99_000);
});

test('group commit: a command the database refuses rolls back to its savepoint alone', async (t) => {
  const { store } = await openPostgresStores(t, { nowMs: () => T0 });
  const before = store.commits;
  const results = await Promise.allSettled([
    store.submit(submitCommand('a')),
    store.submit(submitCommand('b', { input: undefined })), // input_json NOT NULL: fails
    store.submit(submitCommand('c')),
  ]);
  assert.deepEqual(
    results.map((r) => r.status),
    ['fulfilled', 'rejected', 'fulfilled'],
  );
  assert.equal(store.commits - before, 1, 'one COMMIT for the batch; the error did not abort it');
  assert.ok(await get(store, 'a'));
  assert.equal(await get(store, 'b'), undefined);
  assert.deepEqual(await journalTypes(store, 'b'), []);
  assert.ok(await get(store, 'c'));
});

test('two stores claiming the same schema at once never claim the same execution', async (t) => {
  const { store: a, more } = await openPostgresStores(t, { nowMs: () => T0 });
  const b = await more();
  const ids = Array.from({ length: 50 }, (_, i) => `e${String(i).padStart(2, '0')}`);
  await Promise.all(ids.map((id) => a.submit(submitCommand(id))));
  const [fromA, fromB] = await Promise.all([
    claim(a, { owner: 'node-a', limit: 50 }),
    claim(b, { owner: 'node-b', limit: 50 }),
  ]);
  const claimedA = fromA.map((c) => c.execution.executionId);
  const claimedB = fromB.map((c) => c.execution.executionId);
  assert.equal(claimedA.filter((id) => claimedB.includes(id)).length, 0, 'no execution is claimed twice');
  assert.deepEqual([...claimedA, ...claimedB].sort(), ids, 'every due execution is claimed once');
  for (const id of ids) assert.deepEqual(await journalTypes(a, id), ['submitted', 'attempt_started']);
});

test('many small claims from two stores, in separate batches on separate connections, never overlap', async (t) => {
  const { store: a, more } = await openPostgresStores(t, { nowMs: () => T0 });
  const b = await more();
  const ids = Array.from({ length: 60 }, (_, i) => `s${String(i).padStart(2, '0')}`);
  await Promise.all(ids.map((id) => a.submit(submitCommand(id))));
  // Each turn of the event loop starts a new group-commit batch, so these claims run as
  // concurrent transactions on different pooled connections of both stores.
  const claims: Promise<ClaimedSegment[]>[] = [];
  for (let i = 0; i < 6; i += 1) {
    claims.push(claim(a, { owner: `a${i}`, limit: 7 }), claim(b, { owner: `b${i}`, limit: 7 }));
    await new Promise((resolve) => setImmediate(resolve));
  }
  const concurrent = (await Promise.all(claims)).flat().map((c) => c.execution.executionId);
  assert.equal(new Set(concurrent).size, concurrent.length, 'no execution is claimed twice');
  const rest = (await claim(a, { owner: 'sweep', limit: 100 })).map((c) => c.execution.executionId);
  assert.deepEqual([...concurrent, ...rest].sort(), ids);
  for (const id of ids) assert.deepEqual(await journalTypes(b, id), ['submitted', 'attempt_started']);
});
