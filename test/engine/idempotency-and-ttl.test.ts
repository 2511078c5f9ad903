import assert from 'node:assert/strict';
import restaurant from '../../examples/restaurant-approval/pipeline.ts';
import { CapstanError } from '../../src/errors/catalog.ts';
import { order, startEngine } from '../support/engine-harness.ts';
import { forEachStore } from '../support/test-stores.ts';

const submit = (engine: Awaited<ReturnType<typeof startEngine>>, input: unknown, idempotencyKey?: string) =>
  engine.coordinator.submit('default', { pipelineId: 'restaurant-approval', input, idempotencyKey });

forEachStore('OPTIONAL_CLIENT_KEY derives a key from the input when none is given', async (t, kind) => {
  const engine = await startEngine(t, [restaurant], {}, { store: kind });
  const a = await submit(engine, order());
  const b = await submit(engine, Object.fromEntries(Object.entries(order()).reverse()));
  assert.equal(b.duplicate, true, 'the same canonical input without a key is the same execution');
  assert.equal(b.execution.executionId, a.execution.executionId);
  const c = await submit(engine, order({ items: 'soup' }));
  assert.notEqual(c.execution.executionId, a.execution.executionId);
});

forEachStore('CLIENT_KEY_REQUIRED refuses a submit without a key', async (t, kind) => {
  const engine = await startEngine(
    t,
    [restaurant],
    { idempotencyPolicy: 'CLIENT_KEY_REQUIRED' },
    { store: kind },
  );
  await assert.rejects(
    submit(engine, order()),
    (e: unknown) => e instanceof CapstanError && e.code === 'idempotency_key_required',
  );
  assert.equal((await submit(engine, order(), 'k1')).duplicate, false);
});

forEachStore('SERVER_KEY_ONLY ignores client keys and dedupes on the input', async (t, kind) => {
  const engine = await startEngine(
    t,
    [restaurant],
    { idempotencyPolicy: 'SERVER_KEY_ONLY' },
    { store: kind },
  );
  const a = await submit(engine, order(), 'k1');
  const b = await submit(engine, order(), 'k2');
  assert.equal(b.duplicate, true);
  assert.equal(b.execution.executionId, a.execution.executionId);
  assert.equal(
    (await submit(engine, order({ items: 'soup' }), 'k1')).duplicate,
    false,
    'k1 is not a key here',
  );
});

forEachStore(
  'terminal executions and their keys are purged after the TTL; live ones are kept',
  async (t, kind) => {
    const engine = await startEngine(t, [restaurant], { executionTtlMs: 60_000 }, { store: kind });
    const parked = await submit(engine, order(), 'parked');
    const cancelled = await submit(engine, order({ items: 'soup' }), 'cancelled');
    await engine.coordinator.tick();
    await engine.coordinator.cancel('default', cancelled.execution.executionId);
    engine.time.advance(60_001);
    await engine.coordinator.tick(); // the background pass the clock fired may have purged first
    await assert.rejects(
      engine.coordinator.status('default', cancelled.execution.executionId),
      (e: unknown) => e instanceof CapstanError && e.code === 'execution_not_found',
    );
    assert.deepEqual(await engine.store.readJournal(cancelled.execution.executionId, 0, 10), []);
    assert.equal(
      (await engine.coordinator.status('default', parked.execution.executionId)).status,
      'WAITING_EXTERNAL',
    );
    const reused = await submit(engine, order({ items: 'soup' }), 'cancelled');
    assert.equal(reused.duplicate, false, 'an expired key starts a new execution');
  },
);
