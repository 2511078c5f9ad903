import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { definePipeline } from '../../src/sdk/index.ts';
import { startEngine, type Engine } from '../support/engine-harness.ts';
import { forEachStore } from '../support/test-stores.ts';

/**
 * Lets background passes started by a timer finish. They run on real I/O (a PostgreSQL round
 * trip takes far longer than a SQLite call), so this waits in wall-clock time; the manual
 * clock stands still meanwhile, so no regular maintenance pass can stand in for the wake.
 */
async function settle(engine: Engine, id: string, status: string): Promise<string> {
  const giveUpAt = Date.now() + 5_000;
  while (Date.now() < giveUpAt) {
    const current = (await engine.coordinator.status('default', id)).status;
    if (current === status) return current;
    await sleep(2);
  }
  return (await engine.coordinator.status('default', id)).status;
}

forEachStore('a retry runs when it falls due, not at the next regular maintenance pass', async (t, kind) => {
  let tries = 0;
  const flaky = definePipeline({ id: 'flaky', input: z.object({}) }).step('once', {
    output: z.object({ ok: z.boolean() }),
    run: () => {
      tries += 1;
      if (tries === 1) throw new Error('transient');
      return { ok: true };
    },
  });
  const engine = await startEngine(
    t,
    [flaky],
    { retryDelayMs: 1000, sweepIntervalMs: 60_000 },
    { store: kind },
  );
  // As in production: submit wakes the dispatcher itself; no test tick() drives it.
  const { execution } = await engine.coordinator.submit('default', { pipelineId: 'flaky', input: {} });
  assert.equal(await settle(engine, execution.executionId, 'WAIT_RETRY'), 'WAIT_RETRY');
  const waiting = await engine.coordinator.status('default', execution.executionId);
  assert.equal(waiting.status, 'WAIT_RETRY');
  engine.time.advance((waiting.nextDueAtMs ?? 0) - engine.time.now() + 1);
  assert.equal(await settle(engine, execution.executionId, 'SUCCEEDED'), 'SUCCEEDED');
});

forEachStore(
  'an await deadline fires when it passes, not at the next regular maintenance pass',
  async (t, kind) => {
    const quick = definePipeline({ id: 'quick', input: z.object({}) })
      .await('approve', { response: z.object({ ok: z.boolean() }), deadline: 'PT2S' })
      .step('done', { output: z.object({ ok: z.boolean() }), run: (r) => r });
    const engine = await startEngine(t, [quick], { sweepIntervalMs: 60_000 }, { store: kind });
    const { execution } = await engine.coordinator.submit('default', { pipelineId: 'quick', input: {} });
    await engine.coordinator.tick();
    assert.equal(
      (await engine.coordinator.status('default', execution.executionId)).status,
      'WAITING_EXTERNAL',
    );
    engine.time.advance(2_001);
    assert.equal(await settle(engine, execution.executionId, 'DLQ'), 'DLQ');
  },
);
