// The aggregate of an itemised execution runs exactly once across a coordinator crash: a real
// `capstan serve` process on a SQLite file is killed (SIGKILL) while items run and wait, then
// restarted on the same file; the items finish and the aggregate's run log has one line.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { apiClient, startCoordinatorProcess } from '../support/coordinator-process.ts';
import { eventually, until } from '../support/eventually.ts';

const PIPELINE = resolve(import.meta.dirname, '../fixtures/items-pipeline/pipeline.ts');
const ROWS = 40;

type Api = ReturnType<typeof apiClient>;

/** Completes up to `limit` open provider interactions; how many it completed. */
async function completeSome(api: Api, limit: number): Promise<number> {
  const pending = (await api.pending(`?stepId=provider&limit=${limit}`)).body as { interactionId: string }[];
  let done = 0;
  for (const i of pending) {
    const r = await api.complete({ interactionId: i.interactionId, response: { ok: true } });
    if (r.status === 200) done += 1;
  }
  return done;
}

test('the aggregate runs once when the coordinator is killed mid-run and restarted', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'capstan-items-crash-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const stepLog = join(dataDir, 'steps.log');
  const env = { CAPSTAN_TEST_STEP_LOG: stepLog, PIPELINE_ORCHESTRATOR_LEASE_MS: '2000' };
  const first = await startCoordinatorProcess(t, { pipelines: [PIPELINE], dataDir, env });
  const api = apiClient(first.baseUrl);
  const submitted = await api.submit({
    pipelineId: 'items-crash',
    input: { rows: ROWS },
    idempotencyKey: 'batch-1',
  });
  assert.equal(submitted.status, 200);
  const parentId = submitted.body.executionId as string;
  // Some items answered, others still running or waiting: then the process dies.
  let completed = 0;
  await until(
    'a third of the items answered',
    async () => {
      completed += await completeSome(api, 5);
      return completed >= ROWS / 3;
    },
    { timeoutMs: 60_000, intervalMs: 20 },
  );
  const before = (await api.status(parentId)).body as { status: string; items: { open: number } };
  assert.equal(before.status, 'WAITING_ITEMS');
  assert.ok(before.items.open > 0, 'items are still open at the kill');
  await first.kill('SIGKILL');

  const second = await startCoordinatorProcess(t, { pipelines: [PIPELINE], dataDir, env });
  const api2 = apiClient(second.baseUrl);
  await eventually(
    'the parent succeeds',
    async () => {
      const status = (await api2.status(parentId)).body as { status: string };
      if (status.status === 'SUCCEEDED') return true;
      assert.ok(!['DLQ', 'FAILED', 'CANCELLED'].includes(status.status), `the parent is ${status.status}`);
      await completeSome(api2, 50);
      return undefined;
    },
    { timeoutMs: 90_000 },
  );
  const done = (await api2.result(parentId)).body as {
    result: { ok: number; items: number };
    status: { items: { total: number; succeeded: number; failed: number; open: number } };
  };
  assert.deepEqual(done.result, { ok: ROWS, items: ROWS });
  assert.deepEqual(done.status.items, { total: ROWS, succeeded: ROWS, failed: 0, open: 0 });
  const aggregateRuns = readFileSync(stepLog, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith(`aggregate ${parentId} `));
  assert.equal(aggregateRuns.length, 1, 'the aggregate ran exactly once');
  // The children are listed under their parent, keyset-paged.
  const page = (
    await api2.call(
      'GET',
      `/tpf/control-plane/tenants/default/executions?parentExecutionId=${parentId}&limit=25`,
    )
  ).body as {
    items: { parentExecutionId: string; status: string }[];
    nextCursor: string | null;
  };
  assert.equal(page.items.length, 25);
  assert.ok(page.nextCursor);
  assert.ok(page.items.every((i) => i.parentExecutionId === parentId && i.status === 'SUCCEEDED'));
});
