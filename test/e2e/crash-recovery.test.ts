import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { openSqlite } from '../../src/store/sqlite/sqlite-driver.ts';
import { apiClient, startCoordinatorProcess } from '../support/coordinator-process.ts';
import { until } from '../support/eventually.ts';

const PIPELINE = resolve(import.meta.dirname, '../fixtures/crash-pipeline/pipeline.ts');

test('kill -9 under load loses no acknowledged submit or completion, and reruns no checkpointed step', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'capstan-crash-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const stepLog = join(dataDir, 'steps.log');
  const env = { CAPSTAN_TEST_STEP_LOG: stepLog };
  const first = await startCoordinatorProcess(t, { pipelines: [PIPELINE], dataDir, env });
  const api = apiClient(first.baseUrl);

  const acknowledgedSubmits = new Map<string, string>(); // idempotency key → execution id
  const acknowledgedCompletions = new Set<string>(); // interaction ids
  let running = true;
  const submitter = async (worker: number) => {
    for (let i = 0; running; i++) {
      const key = `crash-${worker}-${i}`;
      const r = await api
        .submit({ pipelineId: 'crash-test', input: { n: i }, idempotencyKey: key })
        .catch(() => undefined);
      if (r?.status === 200) acknowledgedSubmits.set(key, r.body.executionId as string);
    }
  };
  const completer = async () => {
    while (running) {
      const pending = await api.pending('?limit=50').catch(() => undefined);
      for (const i of (pending?.body ?? []) as { interactionId: string }[]) {
        const r = await api
          .complete({ interactionId: i.interactionId, response: { ok: true } })
          .catch(() => undefined);
        if (r?.status === 200) acknowledgedCompletions.add(i.interactionId);
      }
    }
  };
  const load = [submitter(1), submitter(2), submitter(3), completer()];
  await until('20 acknowledged completions under load', () => acknowledgedCompletions.size >= 20, {
    timeoutMs: 60_000,
    intervalMs: 20,
  });
  await first.kill('SIGKILL');
  running = false;
  await Promise.all(load);
  assert.ok(acknowledgedSubmits.size >= 20, `load ran (${acknowledgedSubmits.size} submits acknowledged)`);

  // What the dead process had committed: every checkpointed (execution, step).
  const db = openSqlite(join(dataDir, 'capstan.db'));
  const checkpointed = new Set(
    (
      db.prepare('SELECT execution_id, step_index FROM step_outputs').all() as {
        execution_id: string;
        step_index: number;
      }[]
    ).map((r) => `${r.execution_id} ${r.step_index}`),
  );
  db.close();

  const second = await startCoordinatorProcess(t, { pipelines: [PIPELINE], dataDir, env });
  const api2 = apiClient(second.baseUrl);
  for (const [key, executionId] of acknowledgedSubmits) {
    const status = await api2.status(executionId);
    assert.equal(status.status, 200, `acknowledged submit ${key} survived`);
  }
  for (const interactionId of acknowledgedCompletions) {
    const again = await api2.complete({ interactionId, response: { ok: true } });
    assert.equal(again.status, 200);
    assert.equal(again.body.duplicate, true, `acknowledged completion ${interactionId} survived`);
  }
  // Finish everything: complete what is still waiting, then every execution succeeds.
  for (const executionId of acknowledgedSubmits.values()) {
    await until(`execution ${executionId} succeeds`, async () => {
      const settled = await api2.result(executionId);
      const status = settled.body.status.status as string;
      if (status === 'SUCCEEDED') return true;
      assert.ok(!['DLQ', 'FAILED', 'CANCELLED'].includes(status), `execution ${executionId} is ${status}`);
      if (status !== 'WAITING_EXTERNAL') return false;
      const pending = (await api2.pending('?limit=1000')).body as {
        interactionId: string;
        executionId: string;
      }[];
      const mine = pending.find((i) => i.executionId === executionId);
      if (mine) await api2.complete({ interactionId: mine.interactionId, response: { ok: true } });
      return false;
    });
  }
  const reruns = readFileSync(stepLog, 'utf8')
    .trim()
    .split('\n')
    .map((line) => line.split(' '))
    .filter(([, , pid]) => pid === String(second.child.pid))
    .map(([executionId, stepIndex]) => `${executionId} ${stepIndex}`)
    .filter((run) => checkpointed.has(run));
  assert.deepEqual(reruns, [], 'no step that was checkpointed before the crash ran again');
});
