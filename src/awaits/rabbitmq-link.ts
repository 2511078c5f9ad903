import { connect, type Channel, type ChannelModel, type ConfirmChannel } from 'amqplib';
import type { Logger } from '../runtime/logger.ts';
import { REDELIVERY_DELAY_MS, type AwaitFlow, type BrokerLink, type MessageHandler } from './broker-link.ts';

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
 * channel (a publish resolves once the broker has taken responsibility for it), manual
 * acknowledgement with a prefetch bound. A message a handler could not take is requeued after
 * a pause rather than at once, so a store outage is not a hot redelivery loop.
 */
export class RabbitMqLink implements BrokerLink {
  readonly broker = 'rabbitmq';
  readonly #o: RabbitMqLinkOptions;
  readonly #connection: ChannelModel;
  readonly #publisher: ConfirmChannel;
  readonly #consumers: { channel: Channel; tag: string }[] = [];
  readonly #inFlight = new Set<Promise<void>>();
  readonly #timers = new Set<NodeJS.Timeout>();

  private constructor(options: RabbitMqLinkOptions, connection: ChannelModel, publisher: ConfirmChannel) {
    this.#o = options;
    this.#connection = connection;
    this.#publisher = publisher;
  }

  static async open(options: RabbitMqLinkOptions): Promise<RabbitMqLink> {
    const connection = await connect(options.url);
    // Without listeners an error event (broker closing the connection) would crash the process.
    connection.on('error', (err: Error) => options.logger.error({ err }, 'RabbitMQ connection error'));
    try {
      const publisher = await connection.createConfirmChannel();
      publisher.on('error', (err: Error) => options.logger.error({ err }, 'RabbitMQ channel error'));
      const link = new RabbitMqLink(options, connection, publisher);
      for (const flow of ['requests', 'completions'] as const)
        await publisher.assertQueue(link.queue(flow), { durable: true });
      return link;
    } catch (error) {
      await connection.close().catch(() => undefined);
      throw error;
    }
  }

  queue(flow: AwaitFlow): string {
    return `${this.#o.queuePrefix}.${flow}`;
  }

  publish(flow: AwaitFlow, body: Uint8Array, messageId: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#publisher.sendToQueue(
        this.queue(flow),
        Buffer.from(body),
        { persistent: true, messageId, contentType: 'application/json' },
        // A nack from the broker (it could not take the message) arrives as the error.
        (error: unknown) =>
          error
            ? reject(error instanceof Error ? error : new Error('RabbitMQ refused the message'))
            : resolve(),
      );
    });
  }

  async consume(flow: AwaitFlow, handle: MessageHandler): Promise<void> {
    const channel = await this.#connection.createChannel();
    channel.on('error', (err: Error) => this.#o.logger.error({ err }, 'RabbitMQ channel error'));
    await channel.prefetch(this.#o.prefetch);
    await channel.assertQueue(this.queue(flow), { durable: true });
    const { consumerTag } = await channel.consume(
      this.queue(flow),
      (message) => {
        if (!message) return; // cancelled by the broker (queue deleted)
        const settled = (async () => {
          let verdict: 'ack' | 'retry' = 'retry';
          try {
            verdict = await handle(message.content);
          } catch (error) {
            this.#o.logger.error({ err: error, queue: this.queue(flow) }, 'await message handler failed');
          }
          if (verdict === 'ack') return channel.ack(message);
          const timer = setTimeout(() => {
            this.#timers.delete(timer);
            channel.nack(message, false, true);
          }, REDELIVERY_DELAY_MS);
          this.#timers.add(timer);
        })().finally(() => this.#inFlight.delete(settled));
        this.#inFlight.add(settled);
      },
      { noAck: false },
    );
    this.#consumers.push({ channel, tag: consumerTag });
  }

  async backlog(flow: AwaitFlow): Promise<number> {
    return (await this.#publisher.checkQueue(this.queue(flow))).messageCount;
  }

  /** Deletes both queues (tests, and tearing a deployment down). */
  async deleteQueues(): Promise<void> {
    for (const flow of ['requests', 'completions'] as const)
      await this.#publisher.deleteQueue(this.queue(flow));
  }

  deleteNames(): Promise<void> {
    return this.deleteQueues();
  }

  async close(): Promise<void> {
    for (const { channel, tag } of this.#consumers) await channel.cancel(tag).catch(() => undefined);
    await Promise.all([...this.#inFlight]);
    // Messages waiting for their requeue go back when their channel closes.
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    for (const { channel } of this.#consumers) await channel.close().catch(() => undefined);
    this.#consumers.length = 0;
    await this.#connection.close().catch(() => undefined);
  }
}
