import assert from 'node:assert/strict';
import { test } from 'node:test';
import { remoteWorkerSetup } from '../../src/config/remote-workers.ts';
import { queueProtocolConfig } from '../../src/config/worker-queue-config.ts';
import { nameToken } from '../../src/brokers/segment-queue-link.ts';
import { sqsQueueName } from '../../src/brokers/sqs-segment-queue.ts';
import { problemsOf, valuesOf } from '../support/config-problems.ts';

const P = 'PIPELINE_ORCHESTRATOR_WORKER_QUEUE_';

test('queue protocol settings: off without a broker, signed once on, broker URLs from their env', () => {
  const secretOnly = { S: 'queue-secret', [`${P}SHARED_SECRET_REF`]: 'env:S' };
  assert.equal(queueProtocolConfig(valuesOf(secretOnly), secretOnly), undefined, 'no broker, no queue');

  const nats = { ...secretOnly, [`${P}BROKER`]: 'nats', CAPSTAN_NATS_URL: 'nats://broker:4222' };
  const config = queueProtocolConfig(valuesOf(nats), nats);
  assert.ok(config);
  assert.deepEqual(
    [config.broker, config.url, config.name, config.group, config.requestTimeoutMs, config.ackWaitMs],
    ['nats', 'nats://broker:4222', 'CAPSTAN_SEGMENTS', 'default', 30_000, 60_000],
  );
  assert.equal(config.keys.secretFor(undefined), 'queue-secret');

  const amqp = {
    ...secretOnly,
    [`${P}BROKER`]: 'rabbitmq',
    [`${P}AMQP_URL`]: 'env:AMQP',
    AMQP: 'amqp://u:p@mq',
  };
  assert.equal(queueProtocolConfig(valuesOf(amqp), amqp)?.url, 'amqp://u:p@mq', 'a secret ref is resolved');

  const unsigned = { [`${P}BROKER`]: 'rabbitmq' };
  assert.match(
    problemsOf(() => queueProtocolConfig(valuesOf(unsigned), unsigned)),
    /no .*queue\.shared-secret-ref/,
  );
  const lostUrl = { ...amqp, AMQP: '' };
  assert.match(
    problemsOf(() => queueProtocolConfig(valuesOf(lostUrl), lostUrl)),
    /amqp-url/,
  );
  assert.match(
    problemsOf(() => valuesOf({ [`${P}BROKER`]: 'kafka' })),
    /broker/,
  );
});

test('a queue broker is a remote protocol: require-remote-worker starts with it, and its keys verify registrations', () => {
  const env = {
    S: 'queue-secret',
    [`${P}SHARED_SECRET_REF`]: 'env:S',
    [`${P}BROKER`]: 'nats',
    PIPELINE_ORCHESTRATOR_CONTROL_PLANE_REQUIRE_REMOTE_WORKER: 'true',
  };
  const setup = remoteWorkerSetup(valuesOf(env), env);
  assert.equal(setup.queueWorkers?.broker, 'nats');
  assert.equal(setup.hostLocally, false);
  assert.equal(setup.registrationKeys.keyRings.length, 1);
});

test('queue protocol settings: sqs takes its endpoint and region from their env', () => {
  const sqs = {
    S: 'queue-secret',
    [`${P}SHARED_SECRET_REF`]: 'env:S',
    [`${P}BROKER`]: 'sqs',
    CAPSTAN_SQS_ENDPOINT: 'http://127.0.0.1:4566',
    AWS_REGION: 'eu-west-1',
  };
  const config = queueProtocolConfig(valuesOf(sqs), sqs);
  assert.deepEqual(
    [config?.broker, config?.sqs],
    ['sqs', { endpoint: 'http://127.0.0.1:4566', region: 'eu-west-1' }],
  );
  const onAws = { ...sqs, CAPSTAN_SQS_ENDPOINT: '', AWS_REGION: '' };
  assert.deepEqual(queueProtocolConfig(valuesOf(onAws), onAws)?.sqs, {
    endpoint: undefined,
    region: 'us-east-1',
  });
  const badRegion = { ...sqs, AWS_REGION: 'mars' };
  assert.match(
    problemsOf(() => queueProtocolConfig(valuesOf(badRegion), badRegion)),
    /sqs-region/,
  );
});

test('SQS queue names: valid names stay, long ones are cut and told apart by a digest', () => {
  assert.equal(sqsQueueName('CAPSTAN_SEGMENTS-replies-node-a'), 'CAPSTAN_SEGMENTS-replies-node-a');
  const long = (end: string) =>
    `${'N'.repeat(64)}-replies-${nameToken(`host.example:${'x'.repeat(50)}${end}`)}`;
  const [a, b] = [sqsQueueName(long('1')), sqsQueueName(long('2'))];
  for (const name of [a, b]) assert.match(name, /^[A-Za-z0-9_-]{1,80}$/);
  assert.notEqual(a, b);
  assert.equal(sqsQueueName(long('1')), a, 'the same id, the same queue');
});
