import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import type { TestContext } from 'node:test';
import { NatsSegmentQueue } from '../../src/brokers/nats-segment-queue.ts';
import { RabbitMqSegmentQueue } from '../../src/brokers/rabbitmq-segment-queue.ts';
import type { SegmentQueueLink } from '../../src/brokers/segment-queue-link.ts';
import { SqsSegmentQueue } from '../../src/brokers/sqs-segment-queue.ts';
import { silentLogger, type Logger } from '../../src/runtime/logger.ts';
import { AMQP_URL, NATS_URL, type BrokerKind } from './await-brokers.ts';
import { SqsServer } from './sqs-server.ts';
import { spawnProcess, type SpawnedProcess } from './spawned-process.ts';
import { WORKER_SECRET, WORKER_TOKEN } from './worker-process.ts';

const ROOT = resolve(import.meta.dirname, '../..');

/** One test's queue protocol names: a stream/exchange of its own, one worker group. */
export interface QueueNames {
  readonly broker: BrokerKind;
  readonly name: string;
  readonly group: string;
  /** What the processes need to reach the broker (SQS: the endpoint this test started, credentials). */
  readonly env: Record<string, string>;
  /** SQS: the endpoint of this test's server. */
  readonly sqsEndpoint?: string;
}

/** A link on `names` for a test's own use (setup, teardown, playing a worker by hand). */
export async function openTestQueueLink(
  names: Pick<QueueNames, 'broker' | 'name' | 'sqsEndpoint'>,
  options: { logger?: Logger; ackWaitMs?: number; maxInFlight?: number } = {},
): Promise<SegmentQueueLink> {
  const { logger = silentLogger, ackWaitMs = 1000, maxInFlight = 1 } = options;
  const common = { name: names.name, logger };
  if (names.broker === 'nats')
    return NatsSegmentQueue.open({ ...common, url: NATS_URL, ackWaitMs, maxInFlight });
  if (names.broker === 'rabbitmq')
    return RabbitMqSegmentQueue.open({ ...common, url: AMQP_URL, prefetch: maxInFlight });
  return SqsSegmentQueue.open({
    ...common,
    endpoint: names.sqsEndpoint,
    region: 'us-east-1',
    ackWaitMs,
    maxInFlight,
  });
}

/**
 * Fresh names for one test (for SQS, a server of its own on loopback); when it ends,
 * everything they hold on the broker (the stream, or the request queue, the nodes' reply
 * queues and the reply exchange) is removed.
 */
export async function queueNames(
  t: TestContext,
  broker: BrokerKind,
  nodeIds: () => readonly string[],
): Promise<QueueNames> {
  const tag = randomBytes(5).toString('hex');
  let env: Record<string, string> = {};
  let sqsEndpoint: string | undefined;
  const server = new SqsServer();
  if (broker === 'sqs') {
    sqsEndpoint = await server.endpoint();
    env = {
      CAPSTAN_SQS_ENDPOINT: sqsEndpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'capstan-test',
      AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'capstan-test',
    };
  }
  const names = { broker, name: `CAPSTAN_TEST_Q_${tag}`, group: `group-${tag}`, env, sqsEndpoint };
  t.after(async () => {
    const link = await openTestQueueLink(names);
    await link.remove({ queues: [names.group], nodes: nodeIds() });
    await link.close();
    await server.stop();
  });
  return names;
}

/** A coordinator's environment for queue workers (and no local worker), `extra` last. */
export const queueCoordinatorEnv = (
  names: QueueNames,
  extra: Record<string, string> = {},
): Record<string, string> => ({
  TEST_WORKER_SECRET: WORKER_SECRET,
  TEST_WORKER_TOKEN: WORKER_TOKEN,
  PIPELINE_ORCHESTRATOR_WORKER_TOKEN_REF: 'env:TEST_WORKER_TOKEN',
  PIPELINE_ORCHESTRATOR_CONTROL_PLANE_REQUIRE_REMOTE_WORKER: 'true',
  PIPELINE_ORCHESTRATOR_WORKER_QUEUE_BROKER: names.broker,
  PIPELINE_ORCHESTRATOR_WORKER_QUEUE_NAME: names.name,
  PIPELINE_ORCHESTRATOR_WORKER_QUEUE_SHARED_SECRET_REF: 'env:TEST_WORKER_SECRET',
  CAPSTAN_LOG_LEVEL: 'debug',
  ...names.env,
  ...extra,
});

/**
 * `capstan worker --queue <broker>` as a real process hosting `pipelines`, registered with the
 * coordinator at `coordinatorUrl`; resolves once it consumes its group's queue.
 */
export async function startQueueWorker(
  t: TestContext,
  options: {
    names: QueueNames;
    pipelines: string[];
    coordinatorUrl: string;
    nodeId: string;
    env?: Record<string, string>;
  },
): Promise<SpawnedProcess> {
  const { names } = options;
  const worker = spawnProcess(
    process.execPath,
    [
      join(ROOT, 'bin/capstan.mjs'),
      'worker',
      '--queue',
      names.broker,
      '--queue-group',
      names.group,
      '--pipelines',
      ...options.pipelines,
      '--coordinator-url',
      options.coordinatorUrl,
      '--node-id',
      options.nodeId,
    ],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        CAPSTAN_LOG_LEVEL: 'debug',
        CAPSTAN_NODE_ID: options.nodeId,
        TEST_WORKER_SECRET: WORKER_SECRET,
        PIPELINE_ORCHESTRATOR_WORKER_QUEUE_SHARED_SECRET_REF: 'env:TEST_WORKER_SECRET',
        PIPELINE_ORCHESTRATOR_WORKER_QUEUE_NAME: names.name,
        CAPSTAN_WORKER_TOKEN: WORKER_TOKEN,
        CAPSTAN_WORKER_HEARTBEAT_INTERVAL: 'PT1S',
        ...names.env,
        ...options.env,
      },
    },
  );
  t.after(() => worker.kill('SIGKILL'));
  await worker.waitFor(/consuming queue/, 'queue worker');
  return worker;
}

/** The JSON log records a process printed on stdout with this message. */
export function logRecords(stdout: string, msg: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        return {};
      }
    })
    .filter((record) => record.msg === msg);
}
