import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { z } from 'zod';
import { hostLocalPipelines, LocalWorker } from '../../src/coordinator/index.ts';
import type { ExecutionStatus } from '../../src/domain/execution-status.ts';
import { definePipeline, NonRetryableError } from '../../src/sdk/index.ts';
import type { ExecutionRecord } from '../../src/store/records.ts';
import { LIST_ANY_STATUS, LIST_SOME_STATUSES } from '../../src/store/sqlite/list-executions.ts';
import { migrate } from '../../src/store/sqlite/migrate.ts';
import { openSqlite } from '../../src/store/sqlite/sqlite-driver.ts';
import type { ExecutionListFilter } from '../../src/store/store-port.ts';
import { startEngine, type Engine } from '../support/engine-harness.ts';
import { forEachStore, type StoreKind } from '../support/test-stores.ts';

const Input = z.object({ n: z.number(), fail: z.string().optional() });
/** Succeeds, or goes to the DLQ with `fail` as its error code. */
const work = definePipeline({ id: 'work', input: Input }).step('run', {
  output: z.number(),
  run: ({ n, fail }) => {
    if (fail) throw new NonRetryableError(`failed ${n}`, { code: fail });
    return n;
  },
});
/** The same pipeline with another contract: a second release of `work`. */
const workV2 = definePipeline({ id: 'work', input: Input }).step('run-v2', {
  output: z.number(),
  run: ({ n }) => n,
});
/** Parks at an await step. */
const approval = definePipeline({ id: 'approval', input: Input })
  .await('approve', { response: z.object({ ok: z.boolean() }), deadline: 'PT1H' })
  .step('done', { output: z.boolean(), run: ({ ok }) => ok });

/** Another release or tenant, hosted by a worker of its own. */
async function host(engine: Engine, tenantId: string, pipeline: typeof work): Promise<string> {
  const worker = new LocalWorker(`${tenantId}-${pipeline.id}-${engine.time.now()}`);
  engine.coordinator.workers.add(worker);
  const [hosted] = await hostLocalPipelines(engine.coordinator, worker, [{ pipeline }], {
    tenantId,
    nowMs: engine.time.now(),
  });
  return hosted?.releaseVersion ?? '';
}

/** 15 executions of `default` over 4 instants (several sharing one), and 2 of tenant `other`. */
async function seed(t: TestContext, kind: StoreKind) {
  const engine = await startEngine(t, [work, approval], {}, { store: kind });
  const { coordinator, time } = engine;
  const submit = async (tenantId: string, pipelineId: string, n: number, fail?: string) =>
    (await coordinator.submit(tenantId, { pipelineId, input: fail ? { n, fail } : { n } })).execution
      .executionId;
  const ids: string[] = [];
  for (let n = 0; n < 5; n++)
    ids.push(await submit('default', 'work', n, n % 2 ? `code_${n % 4}` : undefined));
  time.advance(1_000);
  for (let n = 5; n < 9; n++) ids.push(await submit('default', 'approval', n));
  const v2 = await host(engine, 'default', workV2);
  time.advance(1_000);
  for (let n = 9; n < 13; n++) ids.push(await submit('default', 'work', n));
  await coordinator.tick();
  await coordinator.cancel('default', ids[5] ?? '');
  time.advance(1_000);
  for (let n = 13; n < 15; n++) ids.push(await submit('default', 'approval', n));
  await host(engine, 'other', work);
  const others = [await submit('other', 'work', 100), await submit('other', 'work', 101, 'code_1')];
  await coordinator.tick();
  const all = await Promise.all(ids.map((id) => coordinator.status('default', id)));
  // Newest first; executions created in the same millisecond by id, descending.
  all.sort((a, b) => b.createdAtMs - a.createdAtMs || (a.executionId < b.executionId ? 1 : -1));
  return { engine, all, others, v1: engine.releaseVersions.get('work') ?? '', v2 };
}

const idsOf = (xs: readonly ExecutionRecord[]) => xs.map((x) => x.executionId);
const list = (engine: Engine, f: Omit<ExecutionListFilter, 'limit'>, limit = 1000, tenantId = 'default') =>
  engine.store.listExecutions(tenantId, { ...f, limit }).then(idsOf);

/** Every page of a filter, `limit` at a time, following the keyset position. */
async function walk(engine: Engine, f: Omit<ExecutionListFilter, 'limit'>, limit: number) {
  const seen: string[] = [];
  let after: ExecutionListFilter['after'];
  for (let pages = 0; pages <= 20; pages++) {
    const page = await engine.store.listExecutions('default', { ...f, after, limit });
    assert.ok(page.length <= limit);
    seen.push(...idsOf(page));
    const last = page[page.length - 1];
    if (!last || page.length < limit) return seen;
    after = { createdAtMs: last.createdAtMs, executionId: last.executionId };
  }
  assert.fail(`the walk does not end: ${seen.length} executions seen`);
}

forEachStore(
  'listExecutions filters by status, pipeline, release, error code and time window',
  async (t, kind) => {
    const { engine, all, v1, v2 } = await seed(t, kind);
    const where = (p: (x: ExecutionRecord) => boolean) => idsOf(all.filter(p));
    const withStatus = (...s: ExecutionStatus[]) => where((x) => s.includes(x.status));
    // The seed covers what the filters tell apart.
    assert.deepEqual(
      Object.fromEntries(
        ['SUCCEEDED', 'DLQ', 'WAITING_EXTERNAL', 'CANCELLED'].map((s) => [
          s,
          withStatus(s as ExecutionStatus).length,
        ]),
      ),
      { SUCCEEDED: 7, DLQ: 2, WAITING_EXTERNAL: 5, CANCELLED: 1 },
    );
    assert.notEqual(v1, v2);

    assert.deepEqual(await list(engine, {}), idsOf(all));
    assert.deepEqual(await list(engine, { statuses: ['DLQ'] }), withStatus('DLQ'));
    assert.deepEqual(await list(engine, { statuses: ['WAITING_EXTERNAL'] }), withStatus('WAITING_EXTERNAL'));
    assert.deepEqual(
      await list(engine, { statuses: ['CANCELLED', 'DLQ', 'WAITING_EXTERNAL', 'DLQ'] }),
      withStatus('CANCELLED', 'DLQ', 'WAITING_EXTERNAL'),
      'several statuses, merged newest first; a repeated status does not repeat rows',
    );
    assert.deepEqual(await list(engine, { statuses: ['RUNNING', 'FAILED'] }), []);
    assert.deepEqual(
      await list(engine, { pipelineId: 'approval' }),
      where((x) => x.pipelineId === 'approval'),
    );
    assert.deepEqual(
      await list(engine, { releaseVersion: v2 }),
      where((x) => x.releaseVersion === v2),
    );
    assert.equal((await list(engine, { releaseVersion: v2 })).length, 4);
    assert.deepEqual(
      await list(engine, { errorCode: 'code_1' }),
      where((x) => x.errorCode === 'code_1'),
    );
    assert.equal((await list(engine, { errorCode: 'code_1' })).length, 1);

    const t0 = all[all.length - 1]?.createdAtMs ?? 0;
    const window = { createdFromMs: t0 + 1_000, createdToMs: t0 + 2_000 };
    assert.deepEqual(
      await list(engine, window),
      where((x) => x.createdAtMs >= t0 + 1_000 && x.createdAtMs < t0 + 2_000),
      'from is inclusive, to exclusive',
    );
    assert.equal((await list(engine, window)).length, 4);
    assert.deepEqual(
      await list(engine, { createdFromMs: t0 + 1_000, pipelineId: 'work', statuses: ['SUCCEEDED'] }),
      where((x) => x.createdAtMs >= t0 + 1_000 && x.pipelineId === 'work' && x.status === 'SUCCEEDED'),
    );
    assert.deepEqual(await list(engine, {}, 3), idsOf(all).slice(0, 3), 'limit takes the newest');
  },
);

forEachStore(
  'pagination walks every execution exactly once, newest first, with any page size',
  async (t, kind) => {
    const { engine, all } = await seed(t, kind);
    for (const limit of [1, 2, 3, 4, 7, 15, 16]) {
      assert.deepEqual(await walk(engine, {}, limit), idsOf(all), `limit ${limit}`);
    }
    const some = idsOf(all.filter((x) => x.status !== 'SUCCEEDED'));
    for (const limit of [1, 2, 3, 5]) {
      const statuses: ExecutionStatus[] = ['WAITING_EXTERNAL', 'DLQ', 'CANCELLED'];
      assert.deepEqual(await walk(engine, { statuses }, limit), some, `statuses, limit ${limit}`);
      const onePipeline = await walk(engine, { pipelineId: 'work', createdToMs: all[0]?.createdAtMs }, limit);
      assert.deepEqual(
        onePipeline,
        idsOf(all.filter((x) => x.pipelineId === 'work')),
        `pipeline, limit ${limit}`,
      );
    }
  },
);

forEachStore('a tenant sees only its own executions, whatever the filter', async (t, kind) => {
  const { engine, all, others, v1 } = await seed(t, kind);
  // Both created in the same millisecond: by id, descending.
  assert.deepEqual(await list(engine, {}, 1000, 'other'), [...others].sort().reverse());
  const theirs = new Set(others);
  assert.deepEqual(await list(engine, { statuses: ['DLQ'] }, 1000, 'other'), [others[1]]);
  assert.deepEqual(await list(engine, { releaseVersion: v1, errorCode: 'code_1' }, 1000, 'other'), [
    others[1],
  ]);
  assert.ok(idsOf(all).every((id) => !theirs.has(id)));
  assert.deepEqual(await list(engine, {}, 1000, 'nobody'), []);
});

// SQLite only: it reads SQLite's query plans for its statements (PostgreSQL's planner picks by
// table statistics, so a plan on a test-sized table says little).
test('each list statement reads the index meant for it', (t) => {
  const db = openSqlite(':memory:');
  t.after(() => db.close());
  migrate(db, 0);
  const plan = (sql: string) =>
    (
      db
        .prepare(`EXPLAIN QUERY PLAN ${sql}`)
        .all(Object.fromEntries([...sql.matchAll(/@(\w+)/g)].map((m) => [m[1], 1]))) as { detail: string }[]
    )
      .map((r) => r.detail)
      .join('\n');
  assert.match(
    plan(LIST_ANY_STATUS),
    /USING INDEX executions_by_tenant \(tenant_id=\? AND created_at>\? AND created_at<\?\)/,
  );
  assert.doesNotMatch(plan(LIST_ANY_STATUS), /TEMP B-TREE/, 'read in index order, no sort');
  assert.match(
    plan(LIST_SOME_STATUSES),
    /INDEX executions_by_tenant_status \(tenant_id=\? AND status=\? AND created_at>\?/,
  );
});
