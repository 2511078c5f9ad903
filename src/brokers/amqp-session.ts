import { connect, type Channel, type ChannelModel, type ConfirmChannel, type Options } from 'amqplib';
import type { Logger } from '../runtime/logger.ts';
import { REDELIVERY_DELAY_MS, type DeliveryHandler, type Verdict } from './delivery.ts';

/**
 * One connection to RabbitMQ and what every Capstan link does over it: persistent messages
 * published on a confirm channel (a publish resolves once the broker has taken responsibility
 * for it), consumers with manual acknowledgement and a prefetch bound. A message a handler
 * could not take is requeued after a pause rather than at once, so a store outage is not a hot
 * redelivery loop. The await link and the segment queue link share it.
 */
export class AmqpSession {
  readonly #connection: ChannelModel;
  readonly #publisher: ConfirmChannel;
  readonly #logger: Logger;
  readonly #consumers: { channel: Channel; tag: string }[] = [];
  readonly #inFlight = new Set<Promise<void>>();
  readonly #timers = new Set<NodeJS.Timeout>();

  private constructor(connection: ChannelModel, publisher: ConfirmChannel, logger: Logger) {
    this.#connection = connection;
    this.#publisher = publisher;
    this.#logger = logger;
  }

  static async open(url: string, logger: Logger, connectTimeoutMs?: number): Promise<AmqpSession> {
    const connection = await connect(url, connectTimeoutMs ? { timeout: connectTimeoutMs } : {});
    // Without listeners an error event (broker closing the connection) would crash the process.
    connection.on('error', (err: Error) => logger.error({ err }, 'RabbitMQ connection error'));
    try {
      const publisher = await connection.createConfirmChannel();
      publisher.on('error', (err: Error) => logger.error({ err }, 'RabbitMQ channel error'));
      return new AmqpSession(connection, publisher, logger);
    } catch (error) {
      await connection.close().catch(() => undefined);
      throw error;
    }
  }

  /** The channel declarations and queue checks go through. */
  get channel(): ConfirmChannel {
    return this.#publisher;
  }

  /** Publishes persistently to `exchange` ('' is the default one: `routingKey` is the queue). */
  publish(exchange: string, routingKey: string, body: Uint8Array, messageId: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#publisher.publish(
        exchange,
        routingKey,
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

  /** Consumes `queue` (declared with `declare` when missing) until `close`. */
  async consume(
    queue: string,
    options: { prefetch: number; declare?: Options.AssertQueue },
    handle: DeliveryHandler,
  ): Promise<void> {
    const channel = await this.#connection.createChannel();
    channel.on('error', (err: Error) => this.#logger.error({ err }, 'RabbitMQ channel error'));
    await channel.prefetch(options.prefetch);
    await channel.assertQueue(queue, options.declare ?? { durable: true });
    const { consumerTag } = await channel.consume(
      queue,
      (message) => {
        if (!message) return; // cancelled by the broker (queue deleted)
        const settled = (async () => {
          let verdict: Verdict = 'retry';
          try {
            verdict = await handle(message.content);
          } catch (error) {
            this.#logger.error({ err: error, queue }, 'broker message handler failed');
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

  /** Stops consuming, waits for the handlers in flight, and closes the connection. */
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
