import type { SegmentQueueLink } from '../brokers/segment-queue-link.ts';
import { QueueWorkerTransport } from '../coordinator/workers/queue-worker-transport.ts';
import { systemClock } from '../runtime/clock.ts';
import { systemRandom } from '../runtime/random.ts';
import { systemTimers } from '../runtime/timers.ts';
import type { Logger } from '../runtime/logger.ts';
import { parseIsoDuration } from '../util/iso-duration.ts';
import { ConfigError } from '../errors/config-error.ts';
import { resolveSecretRef } from './secret-ref.ts';
import type { Settings } from './settings.ts';
import { protocolCommon, type ProtocolCommon } from './worker-protocol-keys.ts';

const P = 'pipeline.orchestrator.worker.queue.';

/** The queue worker protocol as configured: the same keys, broker and name on coordinators and workers. */
export interface QueueProtocolConfig extends ProtocolCommon {
  readonly broker: 'nats' | 'rabbitmq' | 'sqs';
  /** NATS and RabbitMQ: the broker's URL, its secret ref resolved (SQS: its endpoint, or empty for AWS's own). */
  readonly url: string;
  /** SQS: the endpoint (undefined: AWS's own for the region) and region. */
  readonly sqs?: { readonly endpoint: string | undefined; readonly region: string };
  readonly name: string;
  /** The request queue a worker consumes and registers as its endpoint. */
  readonly group: string;
  readonly ackWaitMs: number;
  readonly maxInFlight: number;
}

/**
 * Resolves the queue protocol: undefined until `…worker.queue.broker` names a broker, and then
 * a secret is required (the protocol is never used unsigned). Every problem is reported at
 * once, as a ConfigError.
 */
export function queueProtocolConfig(
  values: Settings,
  env: NodeJS.ProcessEnv = process.env,
): QueueProtocolConfig | undefined {
  const broker = values[`${P}broker`];
  if (!broker) return undefined;
  const common = protocolCommon(values, P, env, `${P}broker`);
  if (!common) return undefined;
  if (broker === 'sqs') {
    const endpoint = values[`${P}sqs-endpoint`];
    return {
      ...common,
      broker,
      url: endpoint ?? '',
      sqs: { endpoint, region: values[`${P}sqs-region`] },
      ...queueShape(values),
    };
  }
  const urlKey = broker === 'nats' ? `${P}nats-url` : `${P}amqp-url`;
  const rawUrl = values[urlKey];
  let url = rawUrl;
  // A URL setting may be a secret ref (it usually carries a password).
  if (/^(env|file):/.test(rawUrl))
    try {
      url = resolveSecretRef(rawUrl, env);
    } catch (error) {
      throw new ConfigError([`${urlKey}: ${(error as Error).message}`]);
    }
  return {
    ...common,
    broker,
    url,
    ...queueShape(values),
  };
}

/** The keys every broker shares: names, redelivery and concurrency. */
function queueShape(values: Settings) {
  return {
    name: values[`${P}name`],
    group: values[`${P}group`],
    ackWaitMs: parseIsoDuration(values[`${P}ack-wait`]) ?? 60_000,
    maxInFlight: values[`${P}max-in-flight`],
  };
}

/** Connects to the configured broker; its client library loads only now. */
export async function openSegmentQueue(
  config: QueueProtocolConfig,
  logger: Logger,
): Promise<SegmentQueueLink> {
  if (config.broker === 'sqs') {
    const { SqsSegmentQueue } = await import('../brokers/sqs-segment-queue.ts');
    return SqsSegmentQueue.open({
      endpoint: config.sqs?.endpoint,
      region: config.sqs?.region ?? 'us-east-1',
      name: config.name,
      ackWaitMs: config.ackWaitMs,
      maxInFlight: config.maxInFlight,
      logger,
    });
  }
  const common = { url: config.url, name: config.name, logger, connectTimeoutMs: config.connectTimeoutMs };
  if (config.broker === 'nats') {
    const { NatsSegmentQueue } = await import('../brokers/nats-segment-queue.ts');
    return NatsSegmentQueue.open({ ...common, ackWaitMs: config.ackWaitMs, maxInFlight: config.maxInFlight });
  }
  const { RabbitMqSegmentQueue } = await import('../brokers/rabbitmq-segment-queue.ts');
  return RabbitMqSegmentQueue.open({ ...common, prefetch: config.maxInFlight });
}

/** The coordinator's side of the queue protocol for node `nodeId`, its broker connected. */
export async function openQueueTransport(
  config: QueueProtocolConfig,
  nodeId: string,
  logger: Logger,
): Promise<QueueWorkerTransport> {
  return new QueueWorkerTransport({
    link: await openSegmentQueue(config, logger),
    nodeId,
    keys: config.keys,
    toleranceMs: config.toleranceMs,
    requestTimeoutMs: config.requestTimeoutMs,
    clock: systemClock,
    random: systemRandom,
    timers: systemTimers,
    logger,
  });
}
