import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import { z } from 'zod';
import { AwaitTransports } from '../../src/awaits/await-transports.ts';
import { BrokerAwaitTransport } from '../../src/awaits/broker-await-transport.ts';
import type { BrokerLink } from '../../src/awaits/broker-link.ts';
import { NatsLink } from '../../src/awaits/nats-link.ts';
import { RabbitMqLink } from '../../src/awaits/rabbitmq-link.ts';
import { SqsLink } from '../../src/awaits/sqs-link.ts';
import type { Coordinator } from '../../src/coordinator/coordinator.ts';
import {
  createCoordinator,
  hostLocalPipelines,
  LocalWorker,
  WorkerRegistry,
} from '../../src/coordinator/index.ts';
import type { PublicationSink, RelayPolicy } from '../../src/dlq/outbox-relay.ts';
import { silentLogger, type Logger } from '../../src/runtime/logger.ts';
import { definePipeline, NonRetryableError, type Pipeline } from '../../src/sdk/index.ts';
import type { Store } from '../../src/store/store-port.ts';
import { SqsServer } from './sqs-server.ts';

// The real brokers of this machine (CI starts them): NATS with JetStream, RabbitMQ; and an
// SQS-compatible server the tests start themselves (`sqs-server.ts`).
export const NATS_URL = process.env.CAPSTAN_NATS_URL ?? 'nats://127.0.0.1:4222';
export const AMQP_URL = process.env.CAPSTAN_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

export const brokerKinds = ['nats', 'rabbitmq', 'sqs'] as const;
export type BrokerKind = (typeof brokerKinds)[number];

/** A log that keeps its lines, for asserting what a consumer reported. */
export function recordingLogger(): Logger & { lines: { level: string; msg: string; obj: object }[] } {
  const lines: { level: string; msg: string; obj: object }[] = [];
  const at = (level: string) => (obj: object, msg?: string) =>
    void lines.push({ level, msg: msg ?? '', obj });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/**
 * Broker names of their own for one test (stream, subjects, queues; an SQS server), a way to
 * open links on them and the environment that points `capstan serve` at them. Everything the
 * test declared on the broker is deleted when it ends.
 */
export class BrokerScope {
  readonly kind: BrokerKind;
  readonly #tag = randomBytes(5).toString('hex');
  readonly #sqs = new SqsServer();

  constructor(t: TestContext, kind: BrokerKind) {
    this.kind = kind;
    t.after(async () => {
      const admin = await this.open(silentLogger);
      await admin.deleteNames();
      await admin.close();
      await this.#sqs.stop();
    });
  }

  async open(logger: Logger): Promise<NatsLink | RabbitMqLink | SqsLink> {
    const tag = this.#tag;
    switch (this.kind) {
      case 'nats':
        return NatsLink.open({
          url: NATS_URL,
          stream: `CAPSTAN_TEST_${tag}`,
          subjectPrefix: `capstan.test.${tag}`,
          ackWaitMs: 30_000,
          maxInFlight: 16,
          logger,
        });
      case 'rabbitmq':
        return RabbitMqLink.open({ url: AMQP_URL, queuePrefix: `capstan.test.${tag}`, prefetch: 8, logger });
      case 'sqs':
        return SqsLink.open({
          endpoint: await this.#sqs.endpoint(),
          region: 'us-east-1',
          queuePrefix: `capstan-test-${tag}`,
          // Short, so a completion taken by a stopped node's abandoned long poll comes back soon.
          visibilityTimeoutMs: SQS_TEST_VISIBILITY_MS,
          maxInFlight: 16,
          logger,
        });
    }
  }

  /** The environment that configures `capstan serve` with this scope's transport. */
  async env(): Promise<Record<string, string>> {
    const tag = this.#tag;
    switch (this.kind) {
      case 'nats':
        return {
          CAPSTAN_AWAITS_TRANSPORTS_NATS_ENABLED: 'true',
          CAPSTAN_NATS_URL: NATS_URL,
          CAPSTAN_AWAITS_TRANSPORTS_NATS_STREAM: `CAPSTAN_TEST_${tag}`,
          CAPSTAN_AWAITS_TRANSPORTS_NATS_SUBJECT_PREFIX: `capstan.test.${tag}`,
        };
      case 'rabbitmq':
        return {
          CAPSTAN_AWAITS_TRANSPORTS_RABBITMQ_ENABLED: 'true',
          CAPSTAN_AMQP_URL: AMQP_URL,
          CAPSTAN_AWAITS_TRANSPORTS_RABBITMQ_QUEUE_PREFIX: `capstan.test.${tag}`,
        };
      case 'sqs':
        return {
          CAPSTAN_AWAITS_TRANSPORTS_SQS_ENABLED: 'true',
          CAPSTAN_SQS_ENDPOINT: await this.#sqs.endpoint(),
          CAPSTAN_AWAITS_TRANSPORTS_SQS_QUEUE_PREFIX: `capstan-test-${tag}`,
          CAPSTAN_AWAITS_TRANSPORTS_SQS_VISIBILITY_TIMEOUT: `PT${SQS_TEST_VISIBILITY_MS / 1000}S`,
          AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? '',
          AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? '',
        };
    }
  }
}

const SQS_TEST_VISIBILITY_MS = 2000;

/** A broker scope for one test, and a way to open links on it. */
export function brokerNames(t: TestContext, kind: BrokerKind, logger: Logger): () => Promise<BrokerLink> {
  const scope = new BrokerScope(t, kind);
  return () => scope.open(logger);
}

/** A payment: the provider authorizes it over the await transport; a rejection fails it for good. */
export function paymentPipeline(transport: string): Pipeline {
  return definePipeline({ id: 'payment', input: z.object({ amount: z.number() }) })
    .step('prepare', { output: z.object({ amount: z.number() }), run: (input) => input })
    .await('authorize', {
      transport,
      deadline: 'PT5M',
      response: z.object({
        status: z.enum(['APPROVED', 'REJECTED']),
        providerReference: z.string(),
        reason: z.string().optional(),
      }),
    })
    .step('settle', {
      output: z.object({ settled: z.boolean(), reference: z.string() }),
      dlq: false,
      run: (decision) => {
        if (decision.status === 'REJECTED')
          throw new NonRetryableError(decision.reason ?? 'rejected', { code: 'payment_rejected' });
        return { settled: true, reference: decision.providerReference };
      },
    });
}

export interface AwaitNode {
  readonly coordinator: Coordinator;
  readonly transports: AwaitTransports;
  /** Stops transports, then the coordinator; the store stays open. Idempotent. */
  readonly stop: () => Promise<void>;
}

/**
 * A coordinator on real time hosting `pipelines`, with `transports` wired as `capstan serve`
 * wires them: their sinks in the relay, their metrics in its registry, consumers started after it.
 */
export async function startAwaitNode(
  t: TestContext,
  store: Store,
  pipelines: readonly Pipeline[],
  transports: AwaitTransports,
  options: {
    sinks?: ReadonlyMap<string, PublicationSink>;
    relayPolicy?: RelayPolicy;
    logger?: Logger;
    /** How often the background pass (and so the outbox relay) runs; default the engine's. */
    sweepIntervalMs?: number;
  } = {},
): Promise<AwaitNode> {
  const workers = new WorkerRegistry();
  const worker = new LocalWorker('await-test');
  workers.add(worker);
  const coordinator = createCoordinator({
    store,
    workers,
    config: {
      retryDelayMs: 100,
      ...(options.sweepIntervalMs === undefined ? {} : { sweepIntervalMs: options.sweepIntervalMs }),
    },
    sinks: options.sinks ?? transports.sinks(),
    ...(options.relayPolicy ? { relayPolicy: options.relayPolicy } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  transports.observe(coordinator.metrics.registry);
  await coordinator.start();
  await hostLocalPipelines(
    coordinator,
    worker,
    pipelines.map((pipeline) => ({ pipeline })),
    {
      tenantId: 'default',
      nowMs: Date.now(),
    },
  );
  await transports.start(coordinator);
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      await transports.stop();
      await coordinator.stop();
    })());
  t.after(stop);
  return { coordinator, transports, stop };
}

/** One broker transport over a fresh link. */
export async function brokerTransports(
  open: () => Promise<BrokerLink>,
  logger: Logger,
): Promise<AwaitTransports> {
  return new AwaitTransports([new BrokerAwaitTransport(await open())], logger);
}
