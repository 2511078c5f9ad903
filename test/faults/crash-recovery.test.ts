import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test, type TestContext } from 'node:test';
import pg from 'pg';
import { seededRandom } from '../../src/runtime/random.ts';
import { openSqlite } from '../../src/store/sqlite/sqlite-driver.ts';
import { freshSchema } from '../support/cluster.ts';
import { apiClient, startCoordinatorProcess } from '../support/coordinator-process.ts';
import { eventually, until } from '../support/eventually.ts';
import { postgresUrl } from '../support/postgres-server.ts';
import { storeKinds, type StoreKind } from '../support/test-stores.ts';

const PIPELINE = resolve(import.meta.dirname, '../fixtures/crash-pipeline/pipeline.ts');

/**
 * Where the kill lands:
 * - `after-ack`: right after a submit was acknowledged, while more are in flight;
 * - `mid-segment`: while a step runs (its start is logged, its checkpoint not yet written);
 * - `mid-commit`: at a seeded moment under a load that keeps the group commit busy.
 */
const KILL_POINTS = ['after-ack', 'mid-segment', 'mid-commit'] as const;
type KillPoint = (typeof KILL_POINTS)[number];
/** Rounds per store and point: each kills a live coordinator once. Bounded, so the suite stays brisk. */
const ROUNDS: Record<KillPoint, number> = { 'after-ack': 1, 'mid-segment': 1, 'mid-commit': 2 };

interface Target {
  readonly env: Record<string, string>;
  /** Every (execution, step) with a committed checkpoint, read behind the coordinator's back. */
  readonly checkpointed: () => Promise<Set<string>>;
}

async function targetFor(t: TestContext, kind: StoreKind, dataDir: string): Promise<Target> {
  if (kind === 'sqlite') {
    return {
      env: {},
      checkpointed: () => {
        const db = openSqlite(join(dataDir, 'capstan.db'));
        try {
          const rows = db.prepare('SELECT execution_id, step_index FROM step_outputs').all() as {
            execution_id: string;
            step_index: number;
          }[];
          return Promise.resolve(new Set(rows.map((r) => `${r.execution_id} ${r.step_index}`)));
        } finally {
          db.close();
        }
      },
    };
  }
  const url = await postgresUrl();
  const schema = freshSchema(t, url);
  return {
    env: {
      PIPELINE_ORCHESTRATOR_STATE_PROVIDER: 'postgres',
      PIPELINE_ORCHESTRATOR_POSTGRES_URL: url,
      PIPELINE_ORCHESTRATOR_POSTGRES_SCHEMA: schema,
      PIPELINE_ORCHESTRATOR_POSTGRES_POOL_SIZE: '4',
      // The restarted node takes the dead one's leadership as soon as its lease runs out.
      PIPELINE_ORCHESTRATOR_CLUSTER_LEADER_LEASE: 'PT2S',
      PIPELINE_ORCHESTRATOR_LEASE_MS: '3000',
      PIPELINE_ORCHESTRATOR_SWEEP_INTERVAL: 'PT1S',
    },
    checkpointed: async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const { rows } = await client.query<{ execution_id: string; step_index: number }>(
          `SELECT execution_id, step_index FROM ${schema}.step_outputs`,
        );
        return new Set(rows.map((r) => `${r.execution_id} ${r.step_index}`));
      } finally {
        await client.end();
      }
    },
  };
}

const stepRuns = (stepLog: string) =>
  readFileSync(stepLog, 'utf8')
    .trim()
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => {
      const [executionId = '', stepIndex = '', pid = ''] = line.split(' ');
      return { executionId, stepIndex: Number(stepIndex), pid: Number(pid) };
    });

async function crashRound(t: TestContext, kind: StoreKind, point: KillPoint, round: number): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'capstan-crash-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const stepLog = join(dataDir, 'steps.log');
  const target = await targetFor(t, kind, dataDir);
  const env = {
    ...target.env,
    CAPSTAN_TEST_STEP_LOG: stepLog,
    CAPSTAN_TEST_SECOND_STEP_MS: point === 'mid-segment' ? '400' : '5',
  };
  const first = await startCoordinatorProcess(t, { pipelines: [PIPELINE], dataDir, env });
  const api = apiClient(first.baseUrl);

  const acknowledgedSubmits = new Map<string, string>(); // idempotency key → execution id
  const acknowledgedCompletions = new Set<string>(); // interaction ids
  let running = true;
  const submitter = async (worker: number) => {
    for (let i = 0; running; i++) {
      const key = `crash-${round}-${worker}-${i}`;
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
  const submitters = point === 'mid-commit' ? 6 : 3;
  const load = [...Array.from({ length: submitters }, (_, i) => submitter(i)), completer()];

  // Let the load run, then kill at the chosen point.
  await until(
    'acknowledged load',
    () => acknowledgedSubmits.size >= 10 && acknowledgedCompletions.size >= 3,
    {
      timeoutMs: 60_000,
      intervalMs: 10,
    },
  );
  if (point === 'after-ack') {
    const seen = acknowledgedSubmits.size;
    await until('one more acknowledged submit', () => acknowledgedSubmits.size > seen, { intervalMs: 1 });
  } else if (point === 'mid-segment') {
    // The slow second step has just logged its start: its checkpoint is ~400 ms away.
    const before = stepRuns(stepLog).length;
    await until('a second step starting', () => stepRuns(stepLog).slice(before).at(-1)?.stepIndex === 1, {
      intervalMs: 5,
    });
  } else {
    const random = seededRandom(1000 + round);
    await new Promise((r) => setTimeout(r, Math.floor(random.next() * 300)));
  }
  await first.kill('SIGKILL');
  running = false;
  await Promise.all(load);

  // What the dead process had committed: every checkpointed (execution, step).
  const checkpointed = await target.checkpointed();
  const inFlightAtKill = stepRuns(stepLog).filter(
    (r) => r.pid === first.child.pid && !checkpointed.has(`${r.executionId} ${r.stepIndex}`),
  );
  if (point === 'mid-segment')
    assert.ok(inFlightAtKill.length > 0, 'the kill landed while a step ran, before its checkpoint');

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
    await eventually(
      `execution ${executionId} succeeds`,
      async () => {
        const settled = await api2.result(executionId);
        const status = settled.body.status.status as string;
        if (status === 'SUCCEEDED') return true;
        assert.ok(!['DLQ', 'FAILED', 'CANCELLED'].includes(status), `execution ${executionId} is ${status}`);
        if (status !== 'WAITING_EXTERNAL') return undefined;
        const pending = (await api2.pending('?limit=1000')).body as {
          interactionId: string;
          executionId: string;
        }[];
        const mine = pending.find((i) => i.executionId === executionId);
        if (mine) await api2.complete({ interactionId: mine.interactionId, response: { ok: true } });
        return undefined;
      },
      { timeoutMs: 60_000 },
    );
  }
  const runs = stepRuns(stepLog);
  const reruns = runs
    .filter((r) => r.pid === second.child.pid && checkpointed.has(`${r.executionId} ${r.stepIndex}`))
    .map((r) => `${r.executionId} ${r.stepIndex}`);
  assert.deepEqual(reruns, [], 'no step that was checkpointed before the crash ran again');
  // A step cut off mid-run by the kill ran again after the restart, and only then committed.
  for (const cut of inFlightAtKill)
    assert.ok(
      runs.some(
        (r) =>
          r.pid === second.child.pid && r.executionId === cut.executionId && r.stepIndex === cut.stepIndex,
      ),
      `step ${cut.stepIndex} of ${cut.executionId}, cut off by the kill, ran again`,
    );
  t.diagnostic(
    `${kind} ${point} round ${round}: ${acknowledgedSubmits.size} submits and ${acknowledgedCompletions.size} completions acknowledged, ${inFlightAtKill.length} steps cut off`,
  );
}

for (const kind of storeKinds)
  for (const point of KILL_POINTS)
    test(`kill -9 ${point} [${kind}]: no acknowledged submit or completion lost, no checkpointed step rerun`, async (t) => {
      for (let round = 0; round < ROUNDS[point]; round++) await crashRound(t, kind, point, round);
    });
