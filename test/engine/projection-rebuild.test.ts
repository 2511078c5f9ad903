import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { z } from 'zod';
import restaurant from '../../examples/restaurant-approval/pipeline.ts';
import { definePipeline, NonRetryableError } from '../../src/sdk/index.ts';
import { order, startEngine, type Engine } from '../support/engine-harness.ts';
import { forEachStore, type StoreKind } from '../support/test-stores.ts';

const flaky = definePipeline({ id: 'always-flaky', input: z.object({ n: z.number() }) })
  .step('prepare', { output: z.number(), run: ({ n }) => n + 1 })
  .step('call-backend', {
    output: z.number(),
    run: () => {
      throw new Error('backend unavailable');
    },
  });

const fatal = definePipeline({ id: 'always-fatal', input: z.object({ n: z.number() }) }).step('reject', {
  output: z.number(),
  run: () => {
    throw new NonRetryableError('rejected', { code: 'rejected' });
  },
});

// Nulls where JSON columns are written: a void last step and a nullable await response.
const nulls = definePipeline({ id: 'nulls', input: z.object({ n: z.number() }) })
  .await('confirm', { response: z.object({ ok: z.boolean() }).nullable(), deadline: 'PT1H' })
  .step('notify', { output: z.null(), run: () => null });

interface Mix {
  readonly engine: Engine;
  readonly ids: Record<string, string>;
}

/** Executions in every state: succeeded, parked, DLQ, re-driven (twice), cancelled, retrying. */
async function runMix(t: TestContext, kind: StoreKind): Promise<Mix> {
  const engine = await startEngine(t, [restaurant, flaky, fatal, nulls], {}, { store: kind });
  const { coordinator } = engine;
  const ids: Record<string, string> = {};
  const submit = async (name: string, pipelineId: string, input: unknown) => {
    ids[name] = (
      await coordinator.submit('default', { pipelineId, input, idempotencyKey: name })
    ).execution.executionId;
  };
  const pending = async (name: string) => {
    const list = await coordinator.pendingInteractions('default', { limit: 100 });
    const found = list.find((i) => i.executionId === ids[name]);
    assert.ok(found, `${name} has an open interaction`);
    return { id: found.interactionId, orderId: (found.requestPayload as { orderId?: string }).orderId };
  };

  await submit('timedOut', 'restaurant-approval', order());
  await coordinator.tick();
  engine.time.advance(30 * 60_000 + 1);
  await coordinator.tick();

  for (const name of ['approved', 'parked', 'cancelled', 'mismatch'])
    await submit(name, 'restaurant-approval', order({ customerName: name }));
  await submit('retrying', 'always-flaky', { n: 1 });
  await submit('fatal', 'always-fatal', { n: 1 });
  await submit('nulls', 'nulls', { n: 1 });
  await coordinator.tick();

  const approved = await pending('approved');
  const accepted = { orderId: approved.orderId, decidedAt: '2026-01-01T00:00:00Z' };
  await coordinator.completeInteraction('default', { interactionId: approved.id, response: { accepted } });
  const mismatch = await pending('mismatch');
  await coordinator.completeInteraction('default', {
    interactionId: mismatch.id,
    response: { declined: { orderId: 'another-order', decidedAt: 'now', declineReason: 'x' } },
  });
  await coordinator.completeInteraction('default', {
    interactionId: (await pending('nulls')).id,
    response: null,
  });
  await coordinator.cancel('default', ids.cancelled ?? '');
  await coordinator.redrive('default', ids.timedOut ?? '', { reason: 'parks again' });
  await coordinator.tick();
  // Stop dispatching, then re-drive through the store: this one stays QUEUED.
  await coordinator.stop();
  const redriven = await engine.store.redrive({
    tenantId: 'default',
    executionId: ids.mismatch ?? '',
    expectedVersion: undefined,
    allowFailed: false,
    reason: 'left queued',
    nowMs: engine.time.now(),
  });
  assert.equal(redriven.kind, 'redriven');
  if (redriven.kind === 'redriven')
    assert.equal(redriven.execution.attemptOffset, 1, 'the re-drive counts the try before it');
  return { engine, ids };
}

interface Snapshot {
  executions: { execution_id: string; status: string }[];
  interactions: { execution_id: string; status: string }[];
}

forEachStore('rebuilding the projections from the journal reproduces them exactly', async (t, kind) => {
  const { engine, ids } = await runMix(t, kind);
  const before = (await engine.store.snapshotProjections()) as Snapshot;
  const statusOf = (name: string) => before.executions.find((x) => x.execution_id === ids[name])?.status;
  assert.deepEqual(Object.fromEntries(Object.keys(ids).map((name) => [name, statusOf(name)])), {
    timedOut: 'WAITING_EXTERNAL',
    approved: 'SUCCEEDED',
    parked: 'WAITING_EXTERNAL',
    cancelled: 'CANCELLED',
    mismatch: 'QUEUED',
    retrying: 'WAIT_RETRY',
    fatal: 'DLQ',
    nulls: 'SUCCEEDED',
  });
  assert.deepEqual(
    before.interactions
      .filter((i) => i.execution_id === ids.timedOut)
      .map((i) => i.status)
      .sort(),
    ['TIMED_OUT', 'WAITING'],
    'the re-driven await opened a second interaction',
  );
  assert.deepEqual([...new Set(before.interactions.map((i) => i.status))].sort(), [
    'CANCELLED',
    'COMPLETED',
    'TIMED_OUT',
    'WAITING',
  ]);
  const journalBefore = await engine.store.readJournal(ids.mismatch ?? '', 0, 1000);
  assert.ok(journalBefore.some((e) => e.type === 'redriven'));

  await engine.store.rebuildProjections();
  assert.deepEqual(await engine.store.snapshotProjections(), before);
  assert.deepEqual(await engine.store.readJournal(ids.mismatch ?? '', 0, 1000), journalBefore);
  await engine.store.rebuildProjections();
  assert.deepEqual(await engine.store.snapshotProjections(), before, 'a rebuild is idempotent');
});

forEachStore('a rebuild repairs corrupted projection rows from the journal', async (t, kind) => {
  const { engine, ids } = await runMix(t, kind);
  const before = await engine.store.snapshotProjections();
  // Corrupts the projections behind the store's back, with SQL both dialects take; the
  // SQLite file is its store's alone, so that store closes first.
  await engine.store.close();
  const corrupt = (sql: string, id: string | undefined) => engine.database.execSql(sql, [id ?? '']);
  await corrupt(
    `UPDATE executions SET status = 'QUEUED', attempt = 99, result_json = NULL WHERE execution_id = ?`,
    ids.approved,
  );
  await corrupt('DELETE FROM step_outputs WHERE execution_id = ?', ids.approved);
  await corrupt(`UPDATE await_interactions SET status = 'WAITING' WHERE execution_id = ?`, ids.cancelled);
  await corrupt(
    `INSERT INTO executions SELECT 'ghost', tenant_id, pipeline_id, contract_version, release_version,
       'ghost-key', input_fingerprint, input_json, status, version, step_index, attempt, lease_epoch,
       lease_owner, lease_expires_at, next_due_at, await_unit_id, result_json, error_code, error_message,
       dlq_reason, created_at, updated_at, expires_at, chain_key_attempt, chain_seq, attempt_offset,
       attempt_offset_step, traceparent, parent_execution_id, item_index, end_step_index, items_total,
       items_open, items_failed, schedule_id, failure_fingerprint, failed_step_id
       FROM executions WHERE execution_id = ?`,
    ids.parked,
  );

  const reopened = await engine.database.more();
  const corrupted = await reopened.snapshotProjections();
  assert.notDeepEqual(corrupted, before, 'the corruption is visible');
  assert.equal((await reopened.getExecution('default', ids.approved ?? ''))?.status, 'QUEUED');

  await reopened.rebuildProjections();
  assert.deepEqual(await reopened.snapshotProjections(), before);
  assert.equal(
    await reopened.getExecution('default', 'ghost'),
    undefined,
    'a row without a journal is dropped',
  );
  const approved = await reopened.getExecution('default', ids.approved ?? '');
  assert.equal(approved?.status, 'SUCCEEDED');
  assert.equal(approved?.attempt, 0);
  assert.equal((approved?.result as { outcome?: string }).outcome, 'APPROVED');
});
