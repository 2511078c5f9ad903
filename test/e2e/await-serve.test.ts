import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { test } from 'node:test';
import { NatsLink } from '../../src/awaits/nats-link.ts';
import { RabbitMqLink } from '../../src/awaits/rabbitmq-link.ts';
import { silentLogger } from '../../src/runtime/logger.ts';
import { ProviderMock } from '../../src/tools/provider-mock.ts';
import { AMQP_URL, brokerKinds, NATS_URL } from '../support/await-brokers.ts';
import { apiClient, startCoordinatorProcess } from '../support/coordinator-process.ts';
import { until } from '../support/eventually.ts';

// `capstan serve` with an await transport enabled by configuration: the process connects to the
// broker, relays the request, consumes the completion, and the execution succeeds.

const ROOT = join(import.meta.dirname, '../..');

/** A link on the names the coordinator below is configured with. */
const openLink = (kind: string, tag: string) =>
  kind === 'nats'
    ? NatsLink.open({
        url: NATS_URL,
        stream: `CAPSTAN_SERVE_${tag}`,
        subjectPrefix: `capstan.serve.${tag}`,
        ackWaitMs: 30_000,
        maxInFlight: 8,
        logger: silentLogger,
      })
    : RabbitMqLink.open({
        url: AMQP_URL,
        queuePrefix: `capstan.serve.${tag}`,
        prefetch: 8,
        logger: silentLogger,
      });

for (const kind of brokerKinds) {
  test(`[${kind}] capstan serve runs an await over ${kind} configured from the environment`, async (t) => {
    const tag = randomBytes(5).toString('hex');
    const names: Record<string, string> =
      kind === 'nats'
        ? {
            CAPSTAN_AWAITS_TRANSPORTS_NATS_ENABLED: 'true',
            CAPSTAN_NATS_URL: NATS_URL,
            CAPSTAN_AWAITS_TRANSPORTS_NATS_STREAM: `CAPSTAN_SERVE_${tag}`,
            CAPSTAN_AWAITS_TRANSPORTS_NATS_SUBJECT_PREFIX: `capstan.serve.${tag}`,
          }
        : {
            CAPSTAN_AWAITS_TRANSPORTS_RABBITMQ_ENABLED: 'true',
            CAPSTAN_AMQP_URL: AMQP_URL,
            CAPSTAN_AWAITS_TRANSPORTS_RABBITMQ_QUEUE_PREFIX: `capstan.serve.${tag}`,
          };
    const coordinator = await startCoordinatorProcess(t, {
      pipelines: [join(ROOT, 'test/fixtures/payment-pipeline/pipeline.ts')],
      env: { ...names, CAPSTAN_TEST_AWAIT_TRANSPORT: kind },
    });
    const link = await openLink(kind, tag);
    const provider = new ProviderMock({ link });
    // Last registered, first run: the provider stops before the broker names are deleted.
    t.after(async () => {
      const admin = await openLink(kind, tag);
      if (admin instanceof NatsLink) await admin.deleteStream();
      else await admin.deleteQueues();
      await admin.close();
    });
    t.after(() => provider.stop());
    await provider.start();

    const api = apiClient(coordinator.baseUrl);
    const submitted = await api.submit({ pipelineId: 'payment', input: { amount: 40 } });
    assert.equal(submitted.status, 200, JSON.stringify(submitted.body));
    const executionId = String(submitted.body.executionId);
    await until('the execution to succeed', async () => {
      const answer = await api.result(executionId, 2000);
      return (answer.body.status as { status: string }).status === 'SUCCEEDED';
    });
    assert.match(coordinator.output(), /await transports ready/);
  });
}
