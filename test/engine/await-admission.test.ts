// The await admission budget through the coordinator, on both stores: the step's own
// `admission` holds parks back, configuration overrides it, the inbox shows only admitted
// interactions, completing a held one is refused with `interaction_not_admitted`, a held
// interaction's deadline starts when it is admitted, and a time-out admits the next.
import assert from 'node:assert/strict';
import { z } from 'zod';
import { CapstanError } from '../../src/errors/catalog.ts';
import { definePipeline } from '../../src/sdk/index.ts';
import { startEngine, type Engine } from '../support/engine-harness.ts';
import { forEachStore } from '../support/test-stores.ts';

const DEADLINE_MS = 60_000;

const approvals = definePipeline({ id: 'approvals', input: z.object({ n: z.number() }) })
  .await('approve', {
    response: z.object({ ok: z.boolean() }),
    deadline: DEADLINE_MS,
    admission: 2,
  })
  .step('done', { output: z.boolean(), run: (answer) => answer.ok });

async function parkAll(engine: Engine, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let n = 0; n < count; n += 1) {
    const { execution } = await engine.coordinator.submit('default', {
      pipelineId: 'approvals',
      input: { n },
    });
    ids.push(execution.executionId);
    await engine.coordinator.tick();
  }
  return ids;
}

const statusOf = async (engine: Engine, executionId: string) => {
  const events = await engine.coordinator.history('default', executionId, 0, 100);
  const suspended = events.find((e) => e.type === 'suspended');
  const interactionId = (suspended?.data.interaction as { interactionId: string }).interactionId;
  return engine.store.findInteraction('default', { interactionId });
};

forEachStore(
  'the step’s own budget admits 2, holds the rest, and a time-out admits the next',
  async (t, kind) => {
    const engine = await startEngine(t, [approvals], {}, { store: kind });
    const ids = await parkAll(engine, 4);
    const pending = await engine.coordinator.pendingInteractions('default', { limit: 100 });
    assert.deepEqual(
      pending.map((i) => i.executionId),
      ids.slice(0, 2),
    );
    assert.deepEqual(await engine.coordinator.awaitAdmission('default'), [
      {
        tenantId: 'default',
        pipelineId: 'approvals',
        stepId: 'approve',
        limit: 2,
        outstanding: 2,
        waiting: 2,
      },
    ]);
    const held = await statusOf(engine, ids[2] as string);
    assert.equal(held?.status, 'ADMISSION_WAITING');
    await assert.rejects(
      engine.coordinator.completeInteraction('default', {
        interactionId: held?.interactionId ?? '',
        response: { ok: true },
      }),
      (error: unknown) => error instanceof CapstanError && error.code === 'interaction_not_admitted',
    );

    // Past the first two's deadline (the held ones have none running yet): they time out, and
    // the held ones are admitted then, each with a full deadline from that instant.
    engine.time.advance(DEADLINE_MS + 1);
    await engine.coordinator.tick();
    const admittedAtMs = engine.time.now();
    for (const id of ids.slice(0, 2))
      assert.equal((await engine.coordinator.status('default', id)).status, 'DLQ');
    for (const id of ids.slice(2)) {
      const interaction = await statusOf(engine, id);
      assert.equal(interaction?.status, 'WAITING');
      assert.equal(
        interaction?.deadlineAtMs,
        admittedAtMs + DEADLINE_MS,
        'the deadline started at admission',
      );
    }
    for (const id of ids.slice(2)) {
      const interaction = await statusOf(engine, id);
      await engine.coordinator.completeInteraction('default', {
        interactionId: interaction?.interactionId ?? '',
        response: { ok: true },
      });
    }
    await engine.coordinator.tick();
    for (const id of ids.slice(2))
      assert.equal((await engine.coordinator.status('default', id)).status, 'SUCCEEDED');
    assert.deepEqual(await engine.coordinator.awaitAdmission('default'), [
      {
        tenantId: 'default',
        pipelineId: 'approvals',
        stepId: 'approve',
        limit: 2,
        outstanding: 0,
        waiting: 0,
      },
    ]);
  },
);

forEachStore('configuration overrides the step’s own budget', async (t, kind) => {
  const engine = await startEngine(
    t,
    [approvals],
    { awaitAdmission: { budgets: new Map([['approvals/approve', 3]]), defaultBudget: undefined } },
    { store: kind },
  );
  await parkAll(engine, 5);
  assert.deepEqual(await engine.coordinator.awaitAdmission('default'), [
    { tenantId: 'default', pipelineId: 'approvals', stepId: 'approve', limit: 3, outstanding: 3, waiting: 2 },
  ]);
  assert.equal((await engine.coordinator.pendingInteractions('default', { limit: 100 })).length, 3);
});
