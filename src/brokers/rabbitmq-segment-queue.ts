import type { Logger } from '../runtime/logger.ts';
import { AmqpSession } from './amqp-session.ts';
import type { DeliveryHandler } from './delivery.ts';
import {
  ABANDONED_REPLIES_AFTER_MS,
  nameToken,
  repliesAddress,
  requestsAddress,
  type SegmentQueueLink,
} from './segment-queue-link.ts';

export interface RabbitMqSegmentQueueOptions {
  readonly url: string;
  /** The prefix of the request queues and the name of the reply exchange. */
  readonly name: string;
  /** Requests a worker (or replies a node) holds unacknowledged at once (`basic.qos`). */
  readonly prefetch: number;
  readonly logger: Logger;
  readonly connectTimeoutMs?: number;
}

/**
 * The queue worker protocol over RabbitMQ: durable request queues `<name>.requests.<queue>`
 * on the default exchange, and one durable direct exchange `<name>.replies` that every node
 * shares. A node binds its own durable queue `<name>.replies.<node>` with its node id as the
 * routing key, so the exchange routes each reply to the node it names and no node ever holds
 * another's. A node's queue unused for a day expires (`x-expires`).
 */
export class RabbitMqSegmentQueue implements SegmentQueueLink {
  readonly broker = 'rabbitmq';
  readonly #o: RabbitMqSegmentQueueOptions;
  readonly #session: AmqpSession;
  /** Request queues this link declared already: one declaration each, not one per request. */
  readonly #declared = new Set<string>();

  private constructor(options: RabbitMqSegmentQueueOptions, session: AmqpSession) {
    this.#o = options;
    this.#session = session;
  }

  static async open(options: RabbitMqSegmentQueueOptions): Promise<RabbitMqSegmentQueue> {
    const session = await AmqpSession.open(options.url, options.logger, options.connectTimeoutMs);
    try {
      await session.channel.assertExchange(`${options.name}.replies`, 'direct', { durable: true });
      return new RabbitMqSegmentQueue(options, session);
    } catch (error) {
      await session.close();
      throw error;
    }
  }

  async publishRequest(queue: string, body: Uint8Array, messageId: string): Promise<void> {
    // Declared by the publisher too: a request sent before any worker consumed is kept.
    if (!this.#declared.has(queue)) {
      await this.#session.channel.assertQueue(requestsAddress(this.#o.name, queue), { durable: true });
      this.#declared.add(queue);
    }
    await this.#session.publish('', requestsAddress(this.#o.name, queue), body, messageId);
  }

  consumeRequests(queue: string, handle: DeliveryHandler): Promise<void> {
    return this.#session.consume(
      requestsAddress(this.#o.name, queue),
      { prefetch: this.#o.prefetch },
      handle,
    );
  }

  publishReply(nodeId: string, body: Uint8Array, messageId: string): Promise<void> {
    return this.#session.publish(`${this.#o.name}.replies`, nameToken(nodeId), body, messageId);
  }

  async consumeReplies(nodeId: string, handle: DeliveryHandler): Promise<void> {
    const queue = repliesAddress(this.#o.name, nodeId);
    const declare = { durable: true, arguments: { 'x-expires': ABANDONED_REPLIES_AFTER_MS } };
    await this.#session.channel.assertQueue(queue, declare);
    await this.#session.channel.bindQueue(queue, `${this.#o.name}.replies`, nameToken(nodeId));
    await this.#session.consume(queue, { prefetch: this.#o.prefetch, declare }, handle);
  }

  async remove(names: { queues: readonly string[]; nodes: readonly string[] }): Promise<void> {
    const channel = this.#session.channel;
    for (const queue of names.queues) await channel.deleteQueue(requestsAddress(this.#o.name, queue));
    for (const node of names.nodes) await channel.deleteQueue(repliesAddress(this.#o.name, node));
    await channel.deleteExchange(`${this.#o.name}.replies`);
  }

  close(): Promise<void> {
    return this.#session.close();
  }
}
