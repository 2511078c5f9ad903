import assert from 'node:assert/strict';
import pg from 'pg';
import { z } from 'zod';
import { hostLocalPipelines, LocalWorker } from '../../src/coordinator/index.ts';
import { PARKED_DISPATCH_BASE, parkedFor } from '../../src/domain/parking.ts';
import { executionStatusDto } from '../../src/http/dto.ts';
import { buildContract } from '../../src/releases/pipeline-contract.ts';
import { definePipeline } from '../../src/sdk/index.ts';
import { CLAIM, claimParams } from '../../src/store/postgres/claim.ts';
import { bind } from '../../src/store/postgres/sql.ts';
import type { ExecutionRecord } from '../../src/store/records.ts';
import type { SegmentResult } from '../../src/segment/transition-worker.ts';
import { startEngine, type Engine } from '../support/engine-harness.ts';
import { forEachStore } from '../support/test-stores.ts';

const greet = definePipeline({ id: 'greet', input: z.object({ name: z.string() }) }).step('hello', {
  output: z.string(),
  run: ({ name }) => `hello ${name}`,
});

const dtoOf = (engine: Engine, x: ExecutionRecord) =>
  executionStatusDto(x, engine.coordinator.hasWorkerFor(x));

/** An execution written straight to the store, pinned to greet@`releaseVersion` for `tenantId`. */
async function pinned(engine: Engine, tenantId: string, releaseVersion: string): Promise<string> {
  const executionId = `pinned-${tenantId}`;
  const outcome = await engine.store.submit({
    tenantId,
    executionId,
    pipelineId: greet.id,
    contractVersion: buildContract(greet).contractVersion,
    releaseVersion,
    executionKey: executionId,
    inputFingerprint: 'fp',
    input: { name: 'Bea' },
    nowMs: engine.time.now(),
  });
  assert.equal(outcome.kind, 'created');
  return executionId;
}

forEachStore(
  "another tenant's execution on a release this node hosts is never claimed, and runs once its own worker registers",
  async (t, kind) => {
    const engine = await startEngine(t, [greet], {}, { store: kind });
    const releaseVersion = engine.releaseVersions.get(greet.id) ?? '';
    const id = await pinned(engine, 'tenant-b', releaseVersion);
    for (let tick = 0; tick < 30; tick++) {
      engine.time.advance(1000);
      await engine.coordinator.tick();
    }
    const journal = await engine.store.readJournal(id, 0, 1000);
    assert.deepEqual(
      journal.map((e) => e.type),
      ['submitted'],
      'never claimed: the journal stays flat',
    );
    const waiting = await engine.coordinator.status('tenant-b', id);
    assert.equal(waiting.status, 'QUEUED');
    assert.equal(dtoOf(engine, waiting).waitingFor, 'worker');
    assert.notEqual(parkedFor(waiting.nextDueAtMs), undefined, 'parked out of the due set');

    // A worker for tenant B hosting the same release registers: the execution runs.
    const worker = new LocalWorker('tenant-b-worker');
    engine.coordinator.workers.add(worker);
    const [hosted] = await hostLocalPipelines(engine.coordinator, worker, [{ pipeline: greet }], {
      tenantId: 'tenant-b',
      nowMs: engine.time.now(),
    });
    assert.equal(hosted?.releaseVersion, releaseVersion, 'the same release string');
    await engine.coordinator.tick();
    const done = await engine.coordinator.status('tenant-b', id);
    assert.equal(done.status, 'SUCCEEDED');
    assert.equal(done.result, 'hello Bea');
    assert.equal(dtoOf(engine, done).waitingFor, null);
  },
);

/** A worker whose endpoint heartbeats but never answers a command. */
class UnreachableWorker extends LocalWorker {
  calls = 0;
  override execute(): Promise<SegmentResult> {
    this.calls++;
    return Promise.resolve({ outcome: 'UNREACHABLE', reason: 'connect ECONNREFUSED 127.0.0.1:9' });
  }
}

forEachStore(
  'a worker that heartbeats but cannot be reached: journal growth is bounded, the execution parked visibly',
  async (t, kind) => {
    const worker = new UnreachableWorker('unreachable');
    const engine = await startEngine(t, [greet], { retryMaxDelayMs: 600_000 }, { store: kind, worker });
    const { execution } = await engine.coordinator.submit('default', {
      pipelineId: greet.id,
      input: { name: 'Ada' },
    });
    const id = execution.executionId;
    const journalSize = async () => (await engine.store.readJournal(id, 0, 10_000)).length;
    // Every tick is a minute: the in-process worker heartbeats each time (every stale-after / 3).
    const ticks = async (n: number) => {
      for (let i = 0; i < n; i++) {
        engine.time.advance(60_000);
        await engine.coordinator.tick();
      }
    };
    await ticks(50);
    const afterFifty = await journalSize();
    assert.ok(afterFifty <= 2 * 15 + 1, `at most 15 tries in the first 50 minutes, not ${afterFifty} rows`);
    await ticks(50);
    const grown = (await journalSize()) - afterFifty;
    // Past the bound, a heartbeat wakes it no sooner than the back-off cap (10 minutes) allows.
    assert.ok(grown <= 2 * 6, `the last 50 minutes wrote ${grown} rows`);
    const events = await engine.store.readJournal(id, 0, 10_000);
    const lastRetry = events.filter((e) => e.type === 'retry_scheduled').at(-1);
    assert.equal(lastRetry?.data.errorCode, 'worker_unreachable');
    assert.ok(Number(lastRetry?.data.dueAtMs) >= PARKED_DISPATCH_BASE, 'parked after dispatch errors');
    const x = await engine.coordinator.status('default', id);
    assert.equal(x.attempt, 0, 'dispatch errors spend no attempt');
    const dto = dtoOf(engine, x);
    assert.equal(dto.waitingFor, 'worker');
    assert.ok(
      (dto.nextDueAtEpochMs ?? 0) < PARKED_DISPATCH_BASE,
      'the status shows a real instant, not the sentinel',
    );
    assert.equal(worker.calls, (events.length - 1) / 2);
  },
);

const GHOSTS = 20_000;
const T0 = Date.UTC(2026, 0, 1); // the harness clock's start
const ghostColumns = `(execution_id, tenant_id, pipeline_id, contract_version, release_version, execution_key,
  input_fingerprint, input_json, status, version, step_index, attempt, lease_epoch, next_due_at, created_at, updated_at)`;
const ghostValues = (i: string) =>
  `'ghost-' || ${i}, 'default', 'ghost', 'sha256:c', 'gone', 'k-' || ${i}, 'fp', '{}', 'QUEUED', 1, 0, 0, 0,
   ${T0 - 2 * GHOSTS} + ${i}, ${T0 - 2 * GHOSTS}, ${T0 - 2 * GHOSTS}`;
/** Executions due before anything else, pinned to a release no worker hosts. */
const seedSql = {
  sqlite: `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${GHOSTS})
    INSERT INTO executions ${ghostColumns} SELECT ${ghostValues('i')} FROM n`,
  postgres: `INSERT INTO executions ${ghostColumns}
    SELECT ${ghostValues('i')} FROM generate_series(1, ${GHOSTS}) AS i`,
};

forEachStore(
  'executions no worker can run leave the due set, so a claim reads a bounded number of rows',
  async (t, kind) => {
    const engine = await startEngine(t, [greet], {}, { store: kind, seedSql });
    const first = await engine.coordinator.submit('default', { pipelineId: greet.id, input: { name: 'a' } });
    await engine.coordinator.tick();
    assert.equal(
      (await engine.coordinator.status('default', first.execution.executionId)).status,
      'SUCCEEDED',
    );
    const ghosts = await engine.store.listExecutions('default', {
      pipelineId: 'ghost',
      limit: GHOSTS + 1,
    });
    assert.equal(ghosts.length, GHOSTS);
    const due = ghosts.filter((x) => parkedFor(x.nextDueAtMs) === undefined);
    assert.equal(due.length, 0, 'every unroutable execution was moved out of the due set');
    assert.ok(
      ghosts.every((x) => x.status === 'QUEUED' && x.version === 1),
      'parked, not claimed or journaled',
    );

    if (engine.database.kind !== 'postgres') return;
    // The claim of a routable execution now reads a window of rows, not the 20 000 parked ones.
    // (Written to the store directly, so no dispatcher takes it before the plan is read.)
    await pinned(engine, 'default', engine.releaseVersions.get(greet.id) ?? '');
    const { url, schema } = engine.database as typeof engine.database & { url: string; schema: string };
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    t.after(() => client.end());
    await client.query(`SET search_path TO ${schema}`);
    await client.query('BEGIN');
    const routes = engine.coordinator.workers.routes();
    const { text, values } = bind(
      CLAIM,
      claimParams({ nowMs: engine.time.now(), limit: 64, owner: 'explain', leaseMs: 30_000, routes }),
    );
    const plan = await client.query<{ 'QUERY PLAN': unknown }>(
      `EXPLAIN (ANALYZE, FORMAT JSON) ${text}`,
      values,
    );
    await client.query('ROLLBACK');
    const examined = rowsExamined(plan.rows[0]?.['QUERY PLAN'], 'executions');
    assert.ok(examined > 0 && examined <= 500, `the claim examined ${examined} execution rows`);
  },
);

/** Rows the plan's scans of `relation` produced or filtered out, over all their loops. */
function rowsExamined(plan: unknown, relation: string): number {
  let total = 0;
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (typeof node !== 'object' || node === null) return;
    const n = node as Record<string, unknown>;
    if (n['Relation Name'] === relation) {
      const loops = Number(n['Actual Loops'] ?? 1);
      total += (Number(n['Actual Rows'] ?? 0) + Number(n['Rows Removed by Filter'] ?? 0)) * loops;
    }
    for (const value of Object.values(n)) if (typeof value === 'object') visit(value);
  };
  visit(plan);
  return total;
}
