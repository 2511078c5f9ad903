import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { postgresUrl } from '../support/postgres-server.ts';
import { claimOne, get, submitCommand, submitted, T0 } from '../support/store-fixtures.ts';
import { forEachStore, openPostgresStores, openTestStore } from '../support/test-stores.ts';

// Guards whose failure needs another tenant, another transaction or another node to show:
// each test here fails if the guard it names is removed from the store.

forEachStore(
  'idempotency keys are scoped by tenant: the same key in two tenants is two executions',
  async (t, kind) => {
    const { store } = await openTestStore(t, kind, { nowMs: () => T0 });
    const same = { pipelineId: 'p', executionKey: 'order-1', inputFingerprint: 'fp' };
    const a = await store.submit(submitCommand('in-a', { ...same, tenantId: 'tenant-a' }));
    const b = await store.submit(submitCommand('in-b', { ...same, tenantId: 'tenant-b' }));
    assert.equal(a.kind, 'created');
    assert.equal(b.kind, 'created', "tenant B's key is its own");
    const againB = await store.submit(submitCommand('in-b-again', { ...same, tenantId: 'tenant-b' }));
    assert.equal(againB.kind, 'duplicate');
    assert.equal(againB.execution.executionId, 'in-b', "a repeat in B returns B's execution");
    assert.equal(againB.execution.tenantId, 'tenant-b');
    const againA = await store.submit(submitCommand('in-a-again', { ...same, tenantId: 'tenant-a' }));
    assert.equal(againA.execution.executionId, 'in-a', "and a repeat in A returns A's");
  },
);

/** A raw connection to a test schema: what another node's open transaction does. */
async function rawClient(t: test.TestContext, schema: string): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: await postgresUrl(),
    options: `-c search_path=${schema}`,
  });
  await client.connect();
  t.after(() => client.end());
  return client;
}

/** Waits (bounded) until some backend waits on a lock `blocker` holds, or `orElse` turns true. */
async function someoneWaitsOnALock(
  observer: pg.Client,
  blocker: pg.Client,
  orElse: () => boolean = () => false,
): Promise<void> {
  const deadline = Date.now() + 10_000;
  const blockerPid = (await blocker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
  for (;;) {
    const { rows } = await observer.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))`,
      [blockerPid],
    );
    if ((rows[0]?.n ?? 0) > 0 || orElse()) return;
    if (Date.now() > deadline) assert.fail('no statement came to wait on the held row lock');
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('cancel waits for a concurrent commit and decides on the row it committed [postgres]', async (t) => {
  const { store, schema } = await openPostgresStores(t, { nowMs: () => T0 });
  const other = await rawClient(t, schema);
  const observer = await rawClient(t, schema);
  await submitted(store, 'x1');
  await claimOne(store);
  // Another node commits the execution's success; its transaction is still open when cancel comes.
  await other.query('BEGIN');
  await other.query(
    `UPDATE executions SET status = 'SUCCEEDED', version = version + 1, lease_owner = NULL WHERE execution_id = 'x1'`,
  );
  const cancelling = store.cancel({
    tenantId: 'default',
    executionId: 'x1',
    reason: 'operator',
    nowMs: T0 + 1,
    expiresAtMs: T0 + 9,
  });
  await someoneWaitsOnALock(observer, other);
  await other.query('COMMIT');
  const outcome = await cancelling;
  assert.equal(
    outcome.kind,
    'terminal',
    'cancel saw the committed success, and neither threw nor overwrote it',
  );
  assert.equal(
    store.batchReruns,
    0,
    'cancel waited for the row instead of failing on it and re-running its batch',
  );
  assert.equal((await get(store, 'x1'))?.status, 'SUCCEEDED');
});

test('cancel holds the row it decides on: two commits racing it one after the other do not make it fail [postgres]', async (t) => {
  const { store, schema } = await openPostgresStores(t, { nowMs: () => T0 });
  const [first, second, observer] = [
    await rawClient(t, schema),
    await rawClient(t, schema),
    await rawClient(t, schema),
  ];
  await submitted(store, 'x1');
  await claimOne(store);
  // The holder checkpoints twice, from two transactions, while the operator cancels.
  const checkpoint = `UPDATE executions SET version = version + 1 WHERE execution_id = 'x1'`;
  await first.query('BEGIN');
  await first.query(checkpoint);
  let settled = false;
  const cancelling = store
    .cancel({
      tenantId: 'default',
      executionId: 'x1',
      reason: 'operator',
      nowMs: T0 + 1,
      expiresAtMs: T0 + 9,
    })
    .finally(() => (settled = true));
  await someoneWaitsOnALock(observer, first);
  await second.query('BEGIN');
  const secondWrote = second.query(checkpoint);
  await first.query('COMMIT');
  // A cancel that locked the row it read is done now; one that did not is waiting on the second writer.
  await someoneWaitsOnALock(observer, second, () => settled);
  await secondWrote;
  await second.query('COMMIT');
  const outcome = await cancelling;
  assert.equal(outcome.kind, 'cancelled');
  assert.equal((await get(store, 'x1'))?.status, 'CANCELLED');
});

test('cancel racing a result from another node: one of them wins, neither throws [postgres]', async (t) => {
  const { store, more } = await openPostgresStores(t, { nowMs: () => T0 });
  const worker = await more();
  for (let round = 0; round < 40; round++) {
    const id = `r${round}`;
    await submitted(store, id);
    const claimed = await claimOne(worker, T0, `node-b-${round}`);
    const fence = {
      executionId: id,
      leaseEpoch: claimed.execution.leaseEpoch,
      stepIndex: claimed.execution.stepIndex,
      nowMs: T0 + 1,
    };
    const [cancelled, succeeded] = await Promise.all([
      store.cancel({
        tenantId: 'default',
        executionId: id,
        reason: 'operator',
        nowMs: T0 + 1,
        expiresAtMs: T0 + 9,
      }),
      worker
        .checkpointStep({ ...fence, output: { round } })
        .then(() =>
          worker.succeed({ ...fence, stepIndex: fence.stepIndex, result: { round }, expiresAtMs: T0 + 9 }),
        ),
    ]);
    const final = await get(store, id);
    if (cancelled.kind === 'cancelled') {
      assert.equal(final?.status, 'CANCELLED', `round ${round}`);
      assert.equal(succeeded, false, `round ${round}: a result after the cancel is refused by the fence`);
    } else {
      assert.equal(cancelled.kind, 'terminal', `round ${round}`);
      assert.equal(final?.status, 'SUCCEEDED', `round ${round}`);
      assert.equal(succeeded, true, `round ${round}`);
    }
  }
});

test('two nodes submitting one key in different transactions: exactly one created, no error [postgres]', async (t) => {
  const { store, more, schema } = await openPostgresStores(t, { nowMs: () => T0 });
  const second = await more();
  const holder = await rawClient(t, schema);
  const observer = await rawClient(t, schema);
  for (const ending of ['ROLLBACK', 'COMMIT'] as const) {
    const key = `key-${ending}`;
    // A third transaction holds the key uncommitted, so both submits meet it in ON CONFLICT.
    await holder.query('BEGIN');
    await holder.query(
      `INSERT INTO executions (execution_id, tenant_id, pipeline_id, contract_version, release_version,
         execution_key, input_fingerprint, input_json, status, version, step_index, attempt, lease_epoch,
         next_due_at, created_at, updated_at)
       VALUES ($1, 'default', 'p', 'sha256:contract', 'r1', $2, 'fp', '{}', 'QUEUED', 1, 0, 0, 0, $3, $3, $3)`,
      [`held-${ending}`, key, T0],
    );
    const racing = Promise.all(
      [store, second].map((s, i) =>
        s.submit(submitCommand(`${ending}-${i}`, { executionKey: key, inputFingerprint: 'fp' })),
      ),
    );
    await someoneWaitsOnALock(observer, holder);
    await holder.query(ending);
    const outcomes = await racing;
    const created = outcomes.filter((o) => o.kind === 'created');
    if (ending === 'COMMIT') {
      assert.deepEqual(
        outcomes.map((o) => o.kind),
        ['duplicate', 'duplicate'],
      );
      assert.ok(outcomes.every((o) => o.execution.executionId === `held-${ending}`));
    } else {
      assert.equal(created.length, 1, 'exactly one of the two is created once the key is free');
      const winner = created[0]?.execution.executionId;
      assert.ok(
        outcomes.every((o) => o.execution.executionId === winner),
        'the other is its duplicate',
      );
    }
  }
});
