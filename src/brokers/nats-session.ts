import {
  AckPolicy,
  connect,
  nanos,
  RetentionPolicy,
  StorageType,
  type ConsumerMessages,
  type JsMsg,
  type JetStreamManager,
  type NatsConnection,
} from 'nats';
import type { Logger } from '../runtime/logger.ts';
import { REDELIVERY_DELAY_MS, type DeliveryHandler, type Verdict } from './delivery.ts';

/**
 * One connection to NATS JetStream and what every Capstan link does over it: work-queue streams
 * (a message is kept until acknowledged, then removed), durable pull consumers shared by every
 * process consuming them, explicit acknowledgement, publications with a message id (the
 * stream's duplicate window drops a repeat). The await link and the segment queue link share it.
 */
export class NatsSession {
  readonly #nc: NatsConnection;
  readonly #jsm: JetStreamManager;
  readonly #logger: Logger;
  readonly #consuming: { messages: ConsumerMessages; done: Promise<void> }[] = [];

  private constructor(nc: NatsConnection, jsm: JetStreamManager, logger: Logger) {
    this.#nc = nc;
    this.#jsm = jsm;
    this.#logger = logger;
  }

  static async open(
    url: string,
    name: string,
    logger: Logger,
    connectTimeoutMs?: number,
  ): Promise<NatsSession> {
    const nc = await connect({
      servers: url,
      name,
      ...(connectTimeoutMs ? { timeout: connectTimeoutMs } : {}),
    });
    try {
      return new NatsSession(nc, await nc.jetstreamManager(), logger);
    } catch (error) {
      await nc.close();
      throw error;
    }
  }

  /** Makes sure the work-queue stream exists; one that does is left as it is. */
  async ensureStream(stream: string, subjects: string[], options: { maxAgeMs?: number } = {}): Promise<void> {
    try {
      await this.#jsm.streams.info(stream);
    } catch {
      await this.#jsm.streams.add({
        name: stream,
        subjects,
        retention: RetentionPolicy.Workqueue,
        storage: StorageType.File,
        ...(options.maxAgeMs ? { max_age: nanos(options.maxAgeMs) } : {}),
      });
    }
  }

  async publish(subject: string, body: Uint8Array, messageId: string): Promise<void> {
    await this.#nc.jetstream().publish(subject, body, { msgID: messageId });
  }

  /**
   * Consumes `filterSubject` of `stream` through the durable consumer `durable` (created when
   * missing) until `close`: each message goes to `handle`, acknowledged on `ack`, handed back
   * for redelivery after a pause on `retry` or when `handle` throws.
   */
  async consume(
    options: {
      stream: string;
      durable: string;
      filterSubject: string;
      ackWaitMs: number;
      maxInFlight: number;
      /** Drops the consumer after this long without a consumer (a node that is gone). */
      inactiveAfterMs?: number;
    },
    handle: DeliveryHandler,
  ): Promise<void> {
    const { stream, durable } = options;
    try {
      await this.#jsm.consumers.info(stream, durable);
    } catch {
      await this.#jsm.consumers.add(stream, {
        durable_name: durable,
        filter_subject: options.filterSubject,
        ack_policy: AckPolicy.Explicit,
        ack_wait: nanos(options.ackWaitMs),
        ...(options.inactiveAfterMs ? { inactive_threshold: nanos(options.inactiveAfterMs) } : {}),
      });
    }
    const consumer = await this.#nc.jetstream().consumers.get(stream, durable);
    const messages = await consumer.consume({ max_messages: options.maxInFlight });
    // Messages are handled side by side, up to `maxInFlight`: one at a time, each would wait
    // for the previous one's store commit, and their commits could not share an fsync.
    const done = (async () => {
      const inFlight = new Set<Promise<void>>();
      for await (const m of messages) {
        const settled = this.#settle(m, handle).finally(() => inFlight.delete(settled));
        inFlight.add(settled);
        if (inFlight.size >= options.maxInFlight) await Promise.race(inFlight);
      }
      await Promise.all(inFlight);
    })();
    this.#consuming.push({ messages, done });
  }

  async #settle(m: JsMsg, handle: DeliveryHandler): Promise<void> {
    let verdict: Verdict = 'retry';
    try {
      verdict = await handle(m.data);
    } catch (error) {
      this.#logger.error({ err: error, subject: m.subject }, 'broker message handler failed');
    }
    if (verdict === 'ack') m.ack();
    else m.nak(REDELIVERY_DELAY_MS);
  }

  /** Messages of `subject` the stream still holds. */
  async held(stream: string, subject: string): Promise<number> {
    const info = await this.#jsm.streams.info(stream, { subjects_filter: subject });
    return info.state.subjects?.[subject] ?? 0;
  }

  async deleteStream(stream: string): Promise<void> {
    await this.#jsm.streams.delete(stream);
  }

  /** Stops consuming, waits for the handlers in flight, and drains the connection. */
  async close(): Promise<void> {
    for (const c of this.#consuming) c.messages.stop();
    await Promise.all(this.#consuming.map((c) => c.done));
    this.#consuming.length = 0;
    if (!this.#nc.isClosed()) await this.#nc.drain();
  }
}
