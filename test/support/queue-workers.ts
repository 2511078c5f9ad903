import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import type { TestContext } from 'node:test';
import { NatsSegmentQueue } from '../../src/brokers/nats-segment-queue.ts';
import { RabbitMqSegmentQueue } from '../../src/brokers/rabbitmq-segment-queue.ts';
import { silentLogger } from '../../src/runtime/logger.ts';
import { AMQP_URL, NATS_URL, type BrokerKind } from './await-brokers.ts';
import { spawnProcess, type SpawnedProcess } from './spawned-process.ts';
import { WORKER_SECRET, WORKER_TOKEN } from './worker-process.ts';

const ROOT = resolve(import.meta.dirname, '../..');

/** One test's queue protocol names: a stream/exchange of its own, one worker group. */
export interface QueueNames {
  readonly broker: BrokerKind;
  readonly name: string;
  readonly group: string;
}

/**
 * Fresh names for one test; when it ends, everything they hold on the broker (the stream, or
 * the request queue, the nodes' reply queues and the reply exchange) is removed.
 */
export function queueNames(t: TestContext, broker: BrokerKind, nodeIds: () => readonly string[]): QueueNames {
  const tag = randomBytes(5).toString('hex');
  const names = { broker, name: `CAPSTAN_TEST_Q_${tag}`, group: `group-${tag}` };
  t.after(async () => {
    const common = { name: names.name, logger: silentLogger };
    const link =
      broker === 'nats'
        ? await NatsSegmentQueue.open({ ...common, url: NATS_URL, ackWaitMs: 1000, maxInFlight: 1 })
        : await RabbitMqSegmentQueue.open({ ...common, url: AMQP_URL, prefetch: 1 });
    await link.remove({ queues: [names.group], nodes: nodeIds() });
    await link.close();
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
