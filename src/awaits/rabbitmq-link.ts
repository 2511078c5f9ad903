import { AmqpSession } from '../brokers/amqp-session.ts';
import type { Logger } from '../runtime/logger.ts';
import type { AwaitFlow, BrokerLink, MessageHandler } from './broker-link.ts';

export interface RabbitMqLinkOptions {
  /** `amqp://user:password@host:port/vhost`. */
  readonly url: string;
  /** Queues are `<prefix>.requests` and `<prefix>.completions`, durable, declared when missing. */
  readonly queuePrefix: string;
  /** Unacknowledged messages a consumer holds at once (`basic.qos`). */
  readonly prefetch: number;
  readonly logger: Logger;
}

/**
 * An await link over RabbitMQ: durable queues, persistent messages published on a confirm
 * channel, manual acknowledgement with a prefetch bound, a message a handler could not take
 * requeued after a pause (the session, `src/brokers/amqp-session.ts`, does all of that).
 */
export class RabbitMqLink implements BrokerLink {
  readonly broker = 'rabbitmq';
  readonly #o: RabbitMqLinkOptions;
  readonly #session: AmqpSession;

  private constructor(options: RabbitMqLinkOptions, session: AmqpSession) {
    this.#o = options;
    this.#session = session;
  }

  static async open(options: RabbitMqLinkOptions): Promise<RabbitMqLink> {
    const session = await AmqpSession.open(options.url, options.logger);
    try {
      const link = new RabbitMqLink(options, session);
      for (const flow of ['requests', 'completions'] as const)
        await session.channel.assertQueue(link.queue(flow), { durable: true });
      return link;
    } catch (error) {
      await session.close();
      throw error;
    }
  }

  queue(flow: AwaitFlow): string {
    return `${this.#o.queuePrefix}.${flow}`;
  }

  publish(flow: AwaitFlow, body: Uint8Array, messageId: string): Promise<void> {
    return this.#session.publish('', this.queue(flow), body, messageId);
  }

  consume(flow: AwaitFlow, handle: MessageHandler): Promise<void> {
    return this.#session.consume(this.queue(flow), { prefetch: this.#o.prefetch }, handle);
  }

  async backlog(flow: AwaitFlow): Promise<number> {
    return (await this.#session.channel.checkQueue(this.queue(flow))).messageCount;
  }

  /** Deletes both queues (tests, and tearing a deployment down). */
  async deleteQueues(): Promise<void> {
    for (const flow of ['requests', 'completions'] as const)
      await this.#session.channel.deleteQueue(this.queue(flow));
  }

  deleteNames(): Promise<void> {
    return this.deleteQueues();
  }

  close(): Promise<void> {
    return this.#session.close();
  }
}
