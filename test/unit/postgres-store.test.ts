import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test, type TestContext } from 'node:test';
import pg from 'pg';
import type { PipelineContract } from '../../src/releases/pipeline-contract.ts';
import { schemaSnapshot } from '../../src/store/postgres/migrate.ts';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import type { ReleaseRecord } from '../../src/store/records.ts';
import type { ClaimedSegment, NewInteraction, SubmitCommand } from '../../src/store/store-port.ts';

// Runs against a real PostgreSQL (CAPSTAN_TEST_POSTGRES_URL, default the local server), each
// test in its own schema, dropped afterwards. No database is a failure, never a skip.
const PG_URL = process.env.CAPSTAN_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const T0 = Date.UTC(2026, 0, 1);
const LEASE_MS = 1000;

async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}

/** A migrated store in a fresh schema, plus `more()` for further nodes on the same schema. */
async function openStores(t: TestContext) {
  const schema = `capstan_test_${randomBytes(6).toString('hex')}`;
  const opened: PostgresStore[] = [];
  const more = async () => {
    const store = new PostgresStore({ connectionString: PG_URL, schema, poolSize: 4, nowMs: () => T0 });
    opened.push(store);
    await store.migrate();
    return store;
  };
  t.after(async () => {
    await Promise.all(opened.map((s) => s.close()));
    await dropSchema(schema);
  });
  return { store: await more(), more, schema };
}

const openStore = async (t: TestContext) => (await openStores(t)).store;

const submitCommand = (id: string, overrides: Partial<SubmitCommand> = {}): SubmitCommand => ({
  tenantId: 'default',
  executionId: id,
  pipelineId: 'p',
  contractVersion: 'sha256:contract',
  releaseVersion: 'r1',
  executionKey: `key-${id}`,
  inputFingerprint: `fp-${id}`,
  input: { id, nested: { b: 2, a: [1, 'x', null] } },
  nowMs: T0,
  ...overrides,
});

async function submitted(store: PostgresStore, id: string, overrides: Partial<SubmitCommand> = {}) {
  const outcome = await store.submit(submitCommand(id, overrides));
  assert.equal(outcome.kind, 'created');
  return outcome.execution;
}

type ClaimOptions = Partial<Parameters<PostgresStore['claimDue']>[0]>;
const claim = (store: PostgresStore, o: ClaimOptions = {}) =>
  store.claimDue({ nowMs: T0, limit: 10, owner: 'node-a', leaseMs: LEASE_MS, releaseVersions: ['r1'], ...o });

async function claimOne(store: PostgresStore, nowMs = T0, owner = 'node-a'): Promise<ClaimedSegment> {
  const claimed = await claim(store, { nowMs, owner });
  assert.equal(claimed.length, 1, 'exactly one execution claimed');
  return claimed[0] as ClaimedSegment;
}

const journalTypes = async (store: PostgresStore, id: string) =>
  (await store.readJournal(id, 0, 1000)).map((e) => e.type);
const get = async (store: PostgresStore, id: string) => store.getExecution('default', id);

const newInteraction = (id: string, overrides: Partial<NewInteraction> = {}): NewInteraction => ({
  interactionId: `i-${id}`,
  correlationId: `c-${id}`,
  unitId: `u-${id}`,
  stepId: 'approve',
  requestPayload: { ask: id },
  assignee: null,
  group: null,
  transportType: 'inbox',
  deadlineAtMs: T0 + 60_000,
  ...overrides,
});

/** Submits, claims and suspends `id` at step 0 on an interaction. */
async function parked(store: PostgresStore, id: string, overrides: Partial<NewInteraction> = {}) {
  await submitted(store, id);
  const { execution } = await claimOne(store);
  const ok = await store.suspend({
    executionId: id,
    leaseEpoch: execution.leaseEpoch,
    stepIndex: 0,
    interaction: newInteraction(id, overrides),
    nowMs: T0 + 1,
  });
  assert.equal(ok, true);
}

const complete = (store: PostgresStore, id: string, fingerprint = 'rf', nowMs = T0 + 2) =>
  store.completeInteraction({
    tenantId: 'default',
    interactionId: `i-${id}`,
    response: { approved: true, by: 'ann' },
    responseFingerprint: fingerprint,
    completionKey: `ck-${fingerprint}`,
    actor: 'ann',
    nowMs,
  });

test('migrate twice is a no-op; the dialect is postgres and not exclusive', async (t) => {
  const { store, schema } = await openStores(t);
  await store.migrate();
  await store.migrate();
  assert.equal(store.dialect, 'postgres');
  assert.equal(store.exclusive, false);
  await store.ping();
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    const versions = await client.query<{ version: number }>(
      `SELECT version FROM ${schema}.schema_migrations ORDER BY version`,
    );
    assert.deepEqual(
      versions.rows.map((r) => r.version),
      [1, 2],
    );
  } finally {
    await client.end();
  }
});

test('the migrated schema matches the committed snapshot', async (t) => {
  const { store, schema } = await openStores(t);
  const committed = readFileSync(
    new URL('../../src/store/postgres/schema.snapshot.sql', import.meta.url),
    'utf8',
  );
  const pool = new pg.Pool({ connectionString: PG_URL, max: 1 });
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
  const store = await openStore(t);
  assert.deepEqual(await store.durabilitySettings(), { synchronous_commit: 'on' });
});

test('submit: created, duplicate, conflict; records round-trip with numbers and exact JSON', async (t) => {
  const store = await openStore(t);
  const created = await store.submit(submitCommand('x1'));
  assert.equal(created.kind, 'created');
  assert.deepEqual(created.execution.input, { id: 'x1', nested: { b: 2, a: [1, 'x', null] } });
  assert.equal(created.execution.createdAtMs, T0);
  assert.equal(typeof created.execution.nextDueAtMs, 'number');
  assert.equal(created.execution.version, 1);
  const duplicate = await store.submit(
    submitCommand('x1-again', { executionKey: 'key-x1', inputFingerprint: 'fp-x1' }),
  );
  assert.equal(duplicate.kind, 'duplicate');
  assert.equal(duplicate.execution.executionId, 'x1');
  const conflict = await store.submit(
    submitCommand('x1-other', { executionKey: 'key-x1', inputFingerprint: 'other' }),
  );
  assert.equal(conflict.kind, 'conflict');
  assert.deepEqual(await journalTypes(store, 'x1'), ['submitted']);
  assert.deepEqual(await journalTypes(store, 'x1-again'), []);
  assert.deepEqual(await get(store, 'x1'), created.execution);
});

test('commands queued in one tick share a transaction; a failing command rolls back alone', async (t) => {
  const store = await openStore(t);
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
  assert.equal(store.commits - before, 1, 'one COMMIT for the batch');
  assert.ok(await get(store, 'a'));
  assert.equal(await get(store, 'b'), undefined);
  assert.deepEqual(await journalTypes(store, 'b'), []);
  assert.ok(await get(store, 'c'));
});

test('claimDue moves QUEUED to RUNNING, bumps the epoch and journals attempt_started', async (t) => {
  const store = await openStore(t);
  await submitted(store, 'x1');
  await submitted(store, 'other-release', { releaseVersion: 'r2' });
  const { execution, input } = await claimOne(store);
  assert.equal(execution.status, 'RUNNING');
  assert.equal(execution.leaseEpoch, 1);
  assert.equal(execution.leaseOwner, 'node-a');
  assert.equal(execution.leaseExpiresAtMs, T0 + LEASE_MS);
  assert.equal(execution.nextDueAtMs, null);
  assert.equal(execution.version, 2);
  assert.deepEqual(input, { id: 'x1', nested: { b: 2, a: [1, 'x', null] } });
  const journal = await store.readJournal('x1', 0, 100);
  assert.deepEqual(
    journal.map((e) => [e.seq, e.type]),
    [
      [1, 'submitted'],
      [2, 'attempt_started'],
    ],
  );
  assert.equal(journal[1]?.data.leaseEpoch, 1);
  assert.deepEqual(await claim(store, { owner: 'b' }), [], 'a RUNNING execution is not claimed again');
  assert.equal((await get(store, 'other-release'))?.status, 'QUEUED', 'unrunnable release stays due');
  assert.equal(await store.nextWakeAtMs(), T0);
  assert.equal(await store.renewLeases([{ executionId: 'x1', leaseEpoch: 1 }], T0 + 5000), 1);
  assert.equal(await store.renewLeases([{ executionId: 'x1', leaseEpoch: 0 }], T0 + 9000), 0);
  assert.equal((await get(store, 'x1'))?.leaseExpiresAtMs, T0 + 5000);
});

test('stale-epoch checkpoint, succeed and fail are refused and write nothing', async (t) => {
  const store = await openStore(t);
  await submitted(store, 'x1');
  const first = await claimOne(store);
  // The lease runs out and is reclaimed; a second claim bumps the epoch.
  assert.equal(
    await store.reclaimLease({
      executionId: 'x1',
      leaseEpoch: first.execution.leaseEpoch,
      asOfMs: T0 + LEASE_MS,
      decision: { kind: 'retry', attempt: 1, dueAtMs: T0 + LEASE_MS },
      publication: undefined,
      nowMs: T0 + LEASE_MS,
      expiresAtMs: T0 + 99_000,
    }),
    true,
  );
  const second = await claimOne(store, T0 + LEASE_MS, 'node-b');
  assert.equal(second.execution.leaseEpoch, 2);
  const before = await get(store, 'x1');
  const journalBefore = await journalTypes(store, 'x1');
  const stale = {
    executionId: 'x1',
    leaseEpoch: first.execution.leaseEpoch,
    stepIndex: 0,
    nowMs: T0 + 2000,
  };
  assert.equal(await store.checkpointStep({ ...stale, output: { late: true } }), false);
  assert.equal(await store.succeed({ ...stale, result: { late: true }, expiresAtMs: T0 + 9_000 }), false);
  assert.equal(
    await store.fail({
      ...stale,
      failure: { errorCode: 'boom', errorMessage: 'late' },
      decision: { kind: 'dlq', reason: 'retry_exhausted' },
      publication: { topic: 'dlq', payload: { executionId: 'x1' } },
      expiresAtMs: T0 + 9_000,
    }),
    false,
  );
  assert.deepEqual(await get(store, 'x1'), before);
  assert.deepEqual(await journalTypes(store, 'x1'), journalBefore);
  assert.equal(await store.getStepOutput('x1', 0), undefined);
  assert.deepEqual(await store.readOutbox(10), []);

  // The current epoch still writes.
  const current = { executionId: 'x1', leaseEpoch: 2, nowMs: T0 + 2000 };
  assert.equal(await store.checkpointStep({ ...current, stepIndex: 0, output: { s: 0 } }), true);
  assert.deepEqual(await store.getStepOutput('x1', 0), { output: { s: 0 } });
  assert.equal(
    await store.fail({
      ...current,
      stepIndex: 1,
      failure: { errorCode: 'boom', errorMessage: 'no' },
      decision: { kind: 'dlq', reason: 'retry_exhausted' },
      publication: { topic: 'dlq', payload: { executionId: 'x1' } },
      expiresAtMs: T0 + 9_000,
    }),
    true,
  );
  const outbox = await store.readOutbox(10);
  assert.deepEqual(
    outbox.map((m) => [m.topic, m.payload, typeof m.id]),
    [['dlq', { executionId: 'x1' }, 'number']],
  );
  await store.markOutboxDelivered(
    outbox.map((m) => m.id),
    T0 + 3000,
  );
  assert.deepEqual(await store.readOutbox(10), []);
});

test('two stores claiming the same schema at once never claim the same execution', async (t) => {
  const { store: a, more } = await openStores(t);
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
  const { store: a, more } = await openStores(t);
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

test('suspend and completeInteraction: completed, duplicate, conflict, not_found, deadline', async (t) => {
  const store = await openStore(t);
  await parked(store, 'x1');
  const waiting = await get(store, 'x1');
  assert.equal(waiting?.status, 'WAITING_EXTERNAL');
  assert.equal(waiting?.awaitUnitId, 'u-x1');
  const found = await store.findInteraction('default', { correlationId: 'c-x1' });
  assert.equal(found?.status, 'WAITING');
  assert.deepEqual(found?.requestPayload, { ask: 'x1' });

  const completed = await complete(store, 'x1');
  assert.equal(completed.kind, 'completed');
  const requeued = await get(store, 'x1');
  assert.equal(requeued?.status, 'QUEUED');
  assert.equal(requeued?.stepIndex, 1);
  assert.deepEqual(await store.getStepOutput('x1', 0), { output: { approved: true, by: 'ann' } });
  assert.equal((await complete(store, 'x1')).kind, 'duplicate');
  assert.equal((await complete(store, 'x1', 'other')).kind, 'conflict');
  assert.equal(
    (
      await store.completeInteraction({
        tenantId: 'default',
        interactionId: 'nope',
        response: null,
        responseFingerprint: 'f',
        completionKey: 'k',
        actor: null,
        nowMs: T0,
      })
    ).kind,
    'not_found',
  );
  assert.deepEqual(await journalTypes(store, 'x1'), [
    'submitted',
    'attempt_started',
    'suspended',
    'interaction_completed',
  ]);
  // The next claim resumes at step 1 with the response as input.
  const resumed = await claimOne(store, T0 + 3);
  assert.deepEqual(resumed.input, { approved: true, by: 'ann' });

  await parked(store, 'x2');
  assert.equal((await complete(store, 'x2', 'rf', T0 + 60_000)).kind, 'deadline_passed');
  assert.deepEqual(
    (await store.findPassedDeadlines(T0 + 60_000, 10)).map((i) => i.interactionId),
    ['i-x2'],
  );
  assert.equal(
    await store.timeOutInteraction({
      interactionId: 'i-x2',
      reason: 'await_timeout',
      terminalStatus: 'DLQ',
      publication: undefined,
      nowMs: T0 + 60_000,
      expiresAtMs: T0 + 120_000,
    }),
    true,
  );
  assert.equal((await get(store, 'x2'))?.status, 'DLQ');
  assert.equal((await complete(store, 'x2', 'rf', T0 + 1)).kind, 'closed');
});

test('redrive and cancel outcomes', async (t) => {
  const store = await openStore(t);
  const redrive = (id: string, o: { expectedVersion?: number; allowFailed?: boolean } = {}) =>
    store.redrive({
      tenantId: 'default',
      executionId: id,
      expectedVersion: o.expectedVersion,
      allowFailed: o.allowFailed ?? false,
      reason: 'fixed',
      nowMs: T0 + 5000,
    });
  const cancel = (id: string) =>
    store.cancel({
      tenantId: 'default',
      executionId: id,
      reason: 'stop',
      nowMs: T0 + 6000,
      expiresAtMs: T0 + 99_000,
    });

  assert.equal((await redrive('missing')).kind, 'not_found');
  assert.equal((await cancel('missing')).kind, 'not_found');
  await submitted(store, 'x1');
  assert.equal((await redrive('x1')).kind, 'wrong_status');
  const { execution } = await claimOne(store);
  await store.fail({
    executionId: 'x1',
    leaseEpoch: execution.leaseEpoch,
    stepIndex: 0,
    failure: { errorCode: 'boom', errorMessage: 'bad' },
    decision: { kind: 'failed', reason: 'non_retryable' },
    publication: undefined,
    nowMs: T0 + 1000,
    expiresAtMs: T0 + 99_000,
  });
  const failed = await get(store, 'x1');
  assert.equal(failed?.status, 'FAILED');
  assert.equal((await redrive('x1')).kind, 'wrong_status', 'FAILED needs allowFailed');
  assert.equal((await redrive('x1', { allowFailed: true, expectedVersion: 1 })).kind, 'wrong_version');
  const redriven = await redrive('x1', { allowFailed: true, expectedVersion: failed?.version });
  assert.equal(redriven.kind, 'redriven');
  if (redriven.kind === 'redriven') {
    assert.equal(redriven.previousStatus, 'FAILED');
    assert.equal(redriven.execution.status, 'QUEUED');
    assert.equal(redriven.execution.errorCode, null);
    assert.equal(redriven.execution.expiresAtMs, null);
  }

  await parked(store, 'x2');
  const cancelled = await cancel('x2');
  assert.equal(cancelled.kind, 'cancelled');
  if (cancelled.kind === 'cancelled') assert.equal(cancelled.execution.leaseEpoch, 2);
  assert.equal((await store.findInteraction('default', { interactionId: 'i-x2' }))?.status, 'CANCELLED');
  assert.equal((await cancel('x2')).kind, 'already_cancelled');
  assert.equal((await cancel('x1')).kind, 'cancelled');
  await submitted(store, 'x3');
  const x3 = await claimOne(store);
  await store.succeed({
    executionId: 'x3',
    leaseEpoch: x3.execution.leaseEpoch,
    stepIndex: 0,
    result: { done: 1 },
    nowMs: T0 + 7000,
    expiresAtMs: T0 + 8000,
  });
  assert.equal((await cancel('x3')).kind, 'terminal');
  assert.equal(await store.purgeExpired(T0 + 8000, 10), 1);
  assert.equal(await get(store, 'x3'), undefined);
  assert.deepEqual(await journalTypes(store, 'x3'), []);
});

test('reclaimLease honours asOfMs: a renewed lease is not reclaimed', async (t) => {
  const store = await openStore(t);
  await submitted(store, 'x1');
  const { execution } = await claimOne(store);
  const reclaim = (asOfMs: number, leaseEpoch = execution.leaseEpoch) =>
    store.reclaimLease({
      executionId: 'x1',
      leaseEpoch,
      asOfMs,
      decision: { kind: 'retry', attempt: 1, dueAtMs: T0 + 3000 },
      publication: undefined,
      nowMs: T0 + 2500,
      expiresAtMs: T0 + 99_000,
    });
  assert.deepEqual(
    (await store.findExpiredLeases(T0 + LEASE_MS, 10)).map((l) => [l.executionId, l.leaseEpoch]),
    [['x1', 1]],
  );
  assert.equal(await reclaim(T0 + LEASE_MS - 1), false, 'not yet expired as of asOfMs');
  assert.equal(await store.renewLeases([{ executionId: 'x1', leaseEpoch: 1 }], T0 + 2000), 1);
  assert.equal(await reclaim(T0 + LEASE_MS), false, 'the renewal got there first');
  assert.equal(await reclaim(T0 + 2000, 0), false, 'wrong epoch');
  assert.equal(await reclaim(T0 + 2000), true);
  const x = await get(store, 'x1');
  assert.equal(x?.status, 'WAIT_RETRY');
  assert.equal(x?.attempt, 1);
  assert.equal(x?.errorCode, 'lease_expired');
  assert.equal(x?.leaseOwner, null);
  assert.equal(x?.nextDueAtMs, T0 + 3000);
  assert.deepEqual(await journalTypes(store, 'x1'), ['submitted', 'attempt_started', 'retry_scheduled']);
});

test('listPendingInteractions orders by deadline, then creation; filters narrow', async (t) => {
  const store = await openStore(t);
  await parked(store, 'late', { deadlineAtMs: T0 + 90_000, group: 'ops' });
  await parked(store, 'soon', { deadlineAtMs: T0 + 10_000, assignee: 'ann' });
  await parked(store, 'mid', { deadlineAtMs: T0 + 50_000, group: 'ops', stepId: 'review' });
  const ids = async (filter: Parameters<PostgresStore['listPendingInteractions']>[1]) =>
    (await store.listPendingInteractions('default', filter)).map((i) => i.interactionId);
  assert.deepEqual(await ids({ limit: 10 }), ['i-soon', 'i-mid', 'i-late']);
  assert.deepEqual(await ids({ limit: 2 }), ['i-soon', 'i-mid']);
  assert.deepEqual(await ids({ limit: 10, group: 'ops' }), ['i-mid', 'i-late']);
  assert.deepEqual(await ids({ limit: 10, assignee: 'ann' }), ['i-soon']);
  assert.deepEqual(await ids({ limit: 10, stepId: 'review' }), ['i-mid']);
  assert.deepEqual(await store.listPendingInteractions('other-tenant', { limit: 10 }), []);
});

test('listExecutions pages newest first with a keyset and filters by status', async (t) => {
  const store = await openStore(t);
  for (let i = 0; i < 5; i += 1) await submitted(store, `e${i}`, { nowMs: T0 + Math.floor(i / 2) });
  await store.cancel({
    tenantId: 'default',
    executionId: 'e1',
    reason: 'x',
    nowMs: T0 + 9,
    expiresAtMs: T0 + 99,
  });
  const page1 = await store.listExecutions('default', { limit: 2 });
  assert.deepEqual(
    page1.map((e) => e.executionId),
    ['e4', 'e3'],
  );
  const last = page1[1];
  assert.ok(last);
  const page2 = await store.listExecutions('default', {
    limit: 10,
    after: { createdAtMs: last.createdAtMs, executionId: last.executionId },
  });
  assert.deepEqual(
    page2.map((e) => e.executionId),
    ['e2', 'e1', 'e0'],
  );
  const cancelled = await store.listExecutions('default', {
    limit: 10,
    statuses: ['CANCELLED', 'CANCELLED'],
  });
  assert.deepEqual(
    cancelled.map((e) => e.executionId),
    ['e1'],
  );
  const queued = await store.listExecutions('default', {
    limit: 10,
    statuses: ['QUEUED'],
    createdToMs: T0 + 1,
  });
  assert.deepEqual(
    queued.map((e) => e.executionId),
    ['e0'],
  );
});

const release = (version: string, overrides: Partial<ReleaseRecord> = {}): ReleaseRecord => ({
  tenantId: 'default',
  pipelineId: 'p',
  releaseVersion: version,
  contractVersion: 'sha256:contract',
  descriptor: { version, b: 1, a: 2 },
  contract: { pipelineId: 'p' } as unknown as PipelineContract,
  primaryArtifactDigest: `sha256:${version}`,
  createdAtMs: T0,
  ...overrides,
});

test('registerRelease: created, identical, conflict; activation; worker events', async (t) => {
  const store = await openStore(t);
  assert.equal(await store.registerRelease(release('r1')), 'created');
  assert.equal(await store.registerRelease(release('r1')), 'identical');
  assert.equal(await store.registerRelease(release('r1', { descriptor: { other: true } })), 'conflict');
  assert.equal(await store.registerRelease(release('r2', { createdAtMs: T0 + 1 })), 'created');
  assert.deepEqual(await store.getRelease('default', 'p', 'r1'), release('r1'));
  assert.equal(await store.getActiveRelease('default', 'p'), undefined);
  const activate = (v: string, atMs: number) =>
    store.activateRelease({
      tenantId: 'default',
      pipelineId: 'p',
      releaseVersion: v,
      activatedAtMs: atMs,
      actor: 'ci',
    });
  assert.equal(await activate('nope', T0), false);
  assert.equal(await activate('r1', T0 + 1), true);
  assert.equal(await activate('r2', T0 + 2), true);
  assert.equal((await store.getActiveRelease('default', 'p'))?.releaseVersion, 'r2');
  assert.deepEqual(
    (await store.listReleases('default', 'p')).map((r) => r.releaseVersion),
    ['r1', 'r2'],
  );
  const activations = await store.listActivations('default', 'p');
  assert.deepEqual(
    activations.map((a) => [a.releaseVersion, a.activatedAtMs, typeof a.seq]),
    [
      ['r1', T0 + 1, 'number'],
      ['r2', T0 + 2, 'number'],
    ],
  );
  await store.appendWorkerEvent({
    tenantId: 'default',
    pipelineId: 'p',
    workerId: 'w1',
    type: 'REGISTER',
    data: { releases: ['r1'] },
    atMs: T0,
  });
  const events = await store.listWorkerEvents('default', 'p');
  assert.deepEqual(
    events.map((e) => [e.workerId, e.type, e.data, e.atMs]),
    [['w1', 'REGISTER', { releases: ['r1'] }, T0]],
  );
});

test('rebuildProjections reproduces snapshotProjections exactly after a mix of commands', async (t) => {
  const store = await openStore(t);
  // x1: two steps, succeeded.
  await submitted(store, 'x1');
  const x1 = await claimOne(store);
  await store.checkpointStep({
    executionId: 'x1',
    leaseEpoch: x1.execution.leaseEpoch,
    stepIndex: 0,
    output: { s: 0 },
    nowMs: T0 + 1,
  });
  await store.succeed({
    executionId: 'x1',
    leaseEpoch: x1.execution.leaseEpoch,
    stepIndex: 1,
    result: { total: 3, z: 'last', a: 'first' },
    nowMs: T0 + 2,
    expiresAtMs: T0 + 99_000,
  });
  // x3: retry, then DLQ, then redriven.
  await submitted(store, 'x3');
  const x3 = await claimOne(store, T0 + 3);
  await store.fail({
    executionId: 'x3',
    leaseEpoch: x3.execution.leaseEpoch,
    stepIndex: 0,
    failure: { errorCode: 'e', errorMessage: 'm' },
    decision: { kind: 'retry', attempt: 1, dueAtMs: T0 + 10 },
    publication: undefined,
    nowMs: T0 + 4,
    expiresAtMs: T0 + 99_000,
  });
  const x3b = await claimOne(store, T0 + 10);
  await store.fail({
    executionId: 'x3',
    leaseEpoch: x3b.execution.leaseEpoch,
    stepIndex: 0,
    failure: { errorCode: 'e', errorMessage: 'm' },
    decision: { kind: 'dlq', reason: 'retry_exhausted' },
    publication: { topic: 'dlq', payload: {} },
    nowMs: T0 + 11,
    expiresAtMs: T0 + 99_000,
  });
  await store.redrive({
    tenantId: 'default',
    executionId: 'x3',
    expectedVersion: undefined,
    allowFailed: false,
    reason: 'r',
    nowMs: T0 + 12,
  });
  // x2: parked, completed, re-queued (after x3, so it is not due when x3 is claimed).
  await parked(store, 'x2');
  await complete(store, 'x2');
  // x4: parked then cancelled; x5: running.
  await parked(store, 'x4', { group: 'ops', assignee: 'bob' });
  await store.cancel({
    tenantId: 'default',
    executionId: 'x4',
    reason: 'c',
    nowMs: T0 + 13,
    expiresAtMs: T0 + 99,
  });
  await submitted(store, 'x5', { nowMs: T0 + 14 });
  await claim(store, { nowMs: T0 + 20 });

  const before = (await store.snapshotProjections()) as { executions: Record<string, unknown>[] };
  assert.equal(before.executions.length, 5);
  assert.equal(typeof before.executions[0]?.created_at, 'number', 'BIGINT columns are numbers');
  await store.rebuildProjections();
  assert.deepEqual(await store.snapshotProjections(), before);
  await store.rebuildProjections();
  assert.deepEqual(await store.snapshotProjections(), before, 'a rebuild is idempotent');
});

test('close is idempotent and later commands are refused', async (t) => {
  const { more } = await openStores(t);
  const store = await more();
  await store.close();
  await store.close();
  await assert.rejects(store.submit(submitCommand('late')), /closed/);
});
