import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { openAwaitTransports } from '../../src/config/await-transports-config.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { ConfigError } from '../../src/errors/config-error.ts';
import { silentLogger } from '../../src/runtime/logger.ts';
import { NatsLink } from '../../src/awaits/nats-link.ts';
import { RabbitMqLink } from '../../src/awaits/rabbitmq-link.ts';
import { SqsLink } from '../../src/awaits/sqs-link.ts';
import { AMQP_URL, NATS_URL } from '../support/await-brokers.ts';
import { SqsServer } from '../support/sqs-server.ts';

// `capstan.awaits.transports.*`: off by default, the broker URLs from their environment
// variables, the webhook's key a secret ref; enabled brokers are connected at once.

const options = { logger: silentLogger, defaultCallbackBaseUrl: 'http://127.0.0.1:8080' };

test('no transport is enabled by default, and none is opened', async () => {
  const { values } = loadConfig({ env: {} });
  assert.equal(values['capstan.awaits.transports.nats.url'], 'nats://127.0.0.1:4222');
  assert.equal(values['capstan.awaits.transports.rabbitmq.url'], 'amqp://guest:guest@127.0.0.1:5672');
  const transports = await openAwaitTransports(values, options);
  assert.deepEqual(transports.names, []);
  assert.equal(transports.callbackSigner, undefined);
});

test('the broker URLs come from CAPSTAN_NATS_URL and CAPSTAN_AMQP_URL', () => {
  const { values } = loadConfig({
    env: { CAPSTAN_NATS_URL: 'nats://broker:4223', CAPSTAN_AMQP_URL: 'amqp://u:p@rabbit:5673' },
  });
  assert.equal(values['capstan.awaits.transports.nats.url'], 'nats://broker:4223');
  assert.equal(values['capstan.awaits.transports.rabbitmq.url'], 'amqp://u:p@rabbit:5673');
  assert.throws(() => loadConfig({ env: { CAPSTAN_NATS_URL: 'http://nope' } }), ConfigError);
});

test('enabled brokers are connected (a URL may be a secret ref) and the webhook signs with its key', async (t) => {
  const tag = randomBytes(5).toString('hex');
  const env = { AMQP_SECRET: AMQP_URL, HOOK_KEY: 'k-0123456789' };
  const flags = {
    'capstan.awaits.transports.nats.enabled': true,
    'capstan.awaits.transports.nats.url': NATS_URL,
    'capstan.awaits.transports.nats.stream': `CAPSTAN_CFG_${tag}`,
    'capstan.awaits.transports.nats.subject-prefix': `capstan.cfg.${tag}`,
    'capstan.awaits.transports.rabbitmq.enabled': true,
    'capstan.awaits.transports.rabbitmq.url': 'env:AMQP_SECRET',
    'capstan.awaits.transports.rabbitmq.queue-prefix': `capstan.cfg.${tag}`,
    'capstan.awaits.transports.webhook.enabled': true,
    'capstan.awaits.transports.webhook.url': 'http://127.0.0.1:9/hook',
    'capstan.awaits.transports.webhook.secret-ref': 'env:HOOK_KEY',
  };
  const { values } = loadConfig({ env, flags });
  const transports = await openAwaitTransports(values, { ...options, env });
  t.after(async () => {
    await transports.stop();
    const nats = await NatsLink.open({
      url: NATS_URL,
      stream: `CAPSTAN_CFG_${tag}`,
      subjectPrefix: `capstan.cfg.${tag}`,
      ackWaitMs: 1000,
      maxInFlight: 1,
      logger: silentLogger,
    });
    await nats.deleteStream();
    await nats.close();
    const rabbit = await RabbitMqLink.open({
      url: AMQP_URL,
      queuePrefix: `capstan.cfg.${tag}`,
      prefetch: 1,
      logger: silentLogger,
    });
    await rabbit.deleteQueues();
    await rabbit.close();
  });
  assert.deepEqual(transports.names, ['nats', 'rabbitmq', 'webhook']);
  assert.deepEqual([...transports.sinks().keys()], ['await.nats', 'await.rabbitmq', 'await.webhook']);
  const url =
    transports.callbackSigner?.url({ tenantId: 'default', interactionId: 'i-1', expiresAtMs: 1 }) ?? '';
  assert.match(
    url,
    /^http:\/\/127\.0\.0\.1:8080\/api\/awaits\/tenants\/default\/interactions\/i-1\/callback\?/,
  );
});

test('an enabled webhook without its URL or key is a configuration error naming both', async () => {
  const { values } = loadConfig({ env: {}, flags: { 'capstan.awaits.transports.webhook.enabled': true } });
  await assert.rejects(openAwaitTransports(values, options), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.equal(error.problems.length, 2);
    assert.match(error.problems.join('\n'), /webhook\.url.*\n.*webhook\.secret-ref/);
    return true;
  });
});

test('a broker that cannot be reached stops the start', async () => {
  const { values } = loadConfig({
    env: {},
    flags: {
      'capstan.awaits.transports.rabbitmq.enabled': true,
      'capstan.awaits.transports.rabbitmq.url': 'amqp://guest:guest@127.0.0.1:1',
    },
  });
  await assert.rejects(openAwaitTransports(values, options));
});

test('the SQS transport takes its endpoint and region from the environment and creates its queues', async (t) => {
  const server = new SqsServer();
  const endpoint = await server.endpoint();
  const prefix = `capstan-cfg-${randomBytes(5).toString('hex')}`;
  const env = { ...process.env, CAPSTAN_SQS_ENDPOINT: endpoint, AWS_REGION: 'eu-west-3' };
  const flags = {
    'capstan.awaits.transports.sqs.enabled': true,
    'capstan.awaits.transports.sqs.queue-prefix': prefix,
  };
  const { values } = loadConfig({ env, flags });
  assert.equal(values['capstan.awaits.transports.sqs.endpoint'], endpoint);
  assert.equal(values['capstan.awaits.transports.sqs.region'], 'eu-west-3');
  assert.throws(() => loadConfig({ env: { AWS_REGION: 'mars' } }), ConfigError);
  const transports = await openAwaitTransports(values, { ...options, env });
  t.after(async () => {
    await transports.stop();
    const link = await SqsLink.open({
      endpoint,
      region: 'eu-west-3',
      queuePrefix: prefix,
      visibilityTimeoutMs: 1000,
      maxInFlight: 1,
      logger: silentLogger,
    });
    await link.deleteQueues();
    await link.close();
    await server.stop();
  });
  assert.deepEqual(transports.names, ['sqs']);
  const probe = await SqsLink.open({
    endpoint,
    region: 'eu-west-3',
    queuePrefix: prefix,
    visibilityTimeoutMs: 1000,
    maxInFlight: 1,
    logger: silentLogger,
  });
  try {
    assert.equal(await probe.backlog('requests'), 0);
  } finally {
    await probe.close();
  }
});
