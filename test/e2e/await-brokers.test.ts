import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test, type TestContext } from 'node:test';
import type { Registry } from 'prom-client';
import { encodeJson } from '../../src/awaits/await-messages.ts';
import { awaitTopic } from '../../src/awaits/await-publication.ts';
import type { BrokerLink } from '../../src/awaits/broker-link.ts';
import type { Coordinator } from '../../src/coordinator/coordinator.ts';
import { ProviderMock, type ProviderProfile } from '../../src/tools/provider-mock.ts';
import {
  brokerKinds,
  brokerNames,
  brokerTransports,
  paymentPipeline,
  recordingLogger,
  startAwaitNode,
  type BrokerKind,
} from '../support/await-brokers.ts';
import { until } from '../support/eventually.ts';
import { openTestStore } from '../support/test-stores.ts';

// Await steps over the real brokers (NATS JetStream, RabbitMQ): the request goes out through
// the outbox, the provider mock answers over the broker, the completion resumes the execution.
// Redelivered, unknown and malformed completions are acknowledged and logged, never fatal.

/** A counter's value for some labels (0 when never incremented). */
async function counter(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  const found = values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return found?.value ?? 0;
}

async function settled(coordinator: Coordinator, executionId: string): Promise<string> {
  let status = '';
  await until(`execution ${executionId} to settle`, async () => {
    status = (await coordinator.status('default', executionId)).status;
    return ['SUCCEEDED', 'FAILED', 'DLQ'].includes(status);
  });
  return status;
}

/** A coordinator with the broker transport, and a provider mock answering on its own connection. */
async function paymentWorld(t: TestContext, kind: BrokerKind, profile: ProviderProfile = {}) {
  const logger = recordingLogger();
  const open = brokerNames(t, kind, logger);
  const { store } = await openTestStore(t, 'sqlite');
  const node = await startAwaitNode(t, store, [paymentPipeline(kind)], await brokerTransports(open, logger), {
    logger,
  });
  const providerLink = await open();
  const provider = new ProviderMock({ link: providerLink, ...profile });
  t.after(() => provider.stop());
  await provider.start();
  const submit = async (amount: number) =>
    (await node.coordinator.submit('default', { pipelineId: 'payment', input: { amount } })).execution
      .executionId;
  return {
    ...node,
    logger,
    provider,
    providerLink,
    submit,
    open,
    registry: node.coordinator.metrics.registry,
  };
}

const completionsOf = (registry: Registry, kind: string, outcome: string) =>
  counter(registry, 'capstan_await_completions_total', { transport: kind, outcome });

for (const kind of brokerKinds) {
  test(`[${kind}] an await over the broker runs to SUCCEEDED through the provider mock`, async (t) => {
    const world = await paymentWorld(t, kind, { delayMs: 20 });
    const ids = await Promise.all([10, 20, 30].map((amount) => world.submit(amount)));
    for (const id of ids) assert.equal(await settled(world.coordinator, id), 'SUCCEEDED');
    const result = (await world.coordinator.status('default', ids[0] ?? '')).result as { reference: string };
    assert.match(result.reference, /^mock-/);
    assert.equal(
      await counter(world.registry, 'capstan_await_requests_published_total', { transport: kind }),
      3,
    );
    assert.equal(await completionsOf(world.registry, kind, 'completed'), 3);
    const message = (await world.coordinator.store.readOutbox(10)).filter(
      (m) => m.topic === awaitTopic(kind),
    );
    assert.deepEqual(message, [], 'every request left the outbox');
  });

  test(`[${kind}] a rejection from the provider fails the execution`, async (t) => {
    const world = await paymentWorld(t, kind, { rejectProbability: 1, burst: { size: 2, maxWaitMs: 50 } });
    const ids = await Promise.all([1, 2].map((amount) => world.submit(amount)));
    for (const id of ids) {
      assert.equal(await settled(world.coordinator, id), 'FAILED');
      assert.equal((await world.coordinator.status('default', id)).errorCode, 'payment_rejected');
    }
  });

  test(`[${kind}] a redelivered completion is harmless, and the consumer survives malformed and unknown ones`, async (t) => {
    const world = await paymentWorld(t, kind);
    const id = await world.submit(5);
    assert.equal(await settled(world.coordinator, id), 'SUCCEEDED');
    const answered = [...world.provider.answered.entries()];
    assert.equal(answered.length, 1);
    const [interactionId, response] = answered[0] ?? [];
    const completion = (extra: object) =>
      encodeJson({ tenantId: 'default', interactionId, response, ...extra });
    const link: BrokerLink = world.providerLink;
    // The broker delivers the same completion again (a new message id: no broker dedupe).
    await link.publish('completions', completion({}), `again-${randomUUID()}`);
    await link.publish(
      'completions',
      encodeJson({ tenantId: 'default', interactionId: randomUUID(), response }),
      randomUUID(),
    );
    await link.publish('completions', Buffer.from('not json at all'), randomUUID());
    await link.publish('completions', encodeJson({ tenantId: 'default', response }), randomUUID());
    await until('the four messages to be consumed', async () => {
      const duplicate = await completionsOf(world.registry, kind, 'duplicate');
      const unknown = await completionsOf(world.registry, kind, 'interaction_not_found');
      const malformed = await counter(world.registry, 'capstan_await_consumer_errors_total', {
        transport: kind,
        reason: 'malformed',
      });
      return duplicate === 1 && unknown === 1 && malformed === 2;
    });
    assert.ok(
      world.logger.lines.some((l) => l.level === 'warn' && /refused and acknowledged/.test(l.msg)),
      'the unknown interaction is logged',
    );
    const execution = await world.coordinator.status('default', id);
    assert.equal(execution.status, 'SUCCEEDED');
    const completed = (await world.coordinator.history('default', id, 0, 100)).filter(
      (e) => e.type === 'interaction_completed',
    );
    assert.equal(completed.length, 1, 'completed once');

    // The consumer is still there: a new execution completes.
    assert.equal(await settled(world.coordinator, await world.submit(6)), 'SUCCEEDED');
    // Everything was acknowledged: once the consumer is gone nothing is left on the broker.
    await world.stop();
    const probe = await world.open();
    t.after(() => probe.close());
    assert.equal(await probe.backlog('completions'), 0);
  });
}

for (const kind of brokerKinds) {
  test(`[${kind}] a request parked but not yet published when its coordinator stops is published by the next one`, async (t) => {
    const logger = recordingLogger();
    const open = brokerNames(t, kind, logger);
    const db = await openTestStore(t, 'sqlite');
    const relayPolicy = { maxAttempts: 10, baseDelayMs: 100, maxDelayMs: 1000, claimMs: 300 };
    // The first coordinator claims the request from the outbox and never gets to deliver it.
    let claimed = 0;
    const stuck = new Map([[awaitTopic(kind), { deliver: () => new Promise<void>(() => void claimed++) }]]);
    const first = await startAwaitNode(
      t,
      db.store,
      [paymentPipeline(kind)],
      await brokerTransports(open, logger),
      {
        sinks: stuck,
        relayPolicy,
      },
    );
    const { execution } = await first.coordinator.submit('default', {
      pipelineId: 'payment',
      input: { amount: 9 },
    });
    await until('the request to be claimed', () => claimed === 1);
    assert.equal(
      (await first.coordinator.status('default', execution.executionId)).status,
      'WAITING_EXTERNAL',
    );
    await first.stop();
    await db.store.close();

    const store = await db.more();
    // Its claim runs out after `claimMs`; the next relay pass after that takes the request.
    const second = await startAwaitNode(
      t,
      store,
      [paymentPipeline(kind)],
      await brokerTransports(open, logger),
      {
        relayPolicy,
        sweepIntervalMs: 200,
      },
    );
    const provider = new ProviderMock({ link: await open() });
    t.after(() => provider.stop());
    await provider.start();
    assert.equal(await settled(second.coordinator, execution.executionId), 'SUCCEEDED');
    assert.equal(provider.answered.size, 1);
    const registry = second.coordinator.metrics.registry;
    assert.equal(await counter(registry, 'capstan_await_requests_published_total', { transport: kind }), 1);
  });
}
