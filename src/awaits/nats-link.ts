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
import { REDELIVERY_DELAY_MS, type AwaitFlow, type BrokerLink, type MessageHandler } from './broker-link.ts';

export interface NatsLinkOptions {
  /** `nats://host:port`. */
  readonly url: string;
  /** The JetStream stream holding both flows; created when missing. */
  readonly stream: string;
  /** Subjects are `<prefix>.requests` and `<prefix>.completions`. */
  readonly subjectPrefix: string;
  /** How long a delivered message may stay unacknowledged before JetStream redelivers it. */
  readonly ackWaitMs: number;
  /** Messages a consumer holds at once. */
  readonly maxInFlight: number;
  readonly logger: Logger;
}

/**
 * An await link over NATS JetStream: one work-queue stream for both flows (a message is kept
 * until acknowledged, then removed), one durable pull consumer per flow shared by every
 * process consuming it, explicit acknowledgement. Publications carry a message id, so the
 * stream's duplicate window drops a request the outbox relay publishes twice.
 */
export class NatsLink implements BrokerLink {
  readonly broker = 'nats';
  readonly #o: NatsLinkOptions;
  readonly #nc: NatsConnection;
  readonly #jsm: JetStreamManager;
  readonly #consuming: { messages: ConsumerMessages; done: Promise<void> }[] = [];

  private constructor(options: NatsLinkOptions, nc: NatsConnection, jsm: JetStreamManager) {
    this.#o = options;
    this.#nc = nc;
    this.#jsm = jsm;
  }

  /** Connects and makes sure the stream exists. */
  static async open(options: NatsLinkOptions): Promise<NatsLink> {
    const nc = await connect({ servers: options.url, name: 'capstan-awaits' });
    try {
      const jsm = await nc.jetstreamManager();
      const subjects = [`${options.subjectPrefix}.>`];
      try {
        await jsm.streams.info(options.stream);
      } catch {
        await jsm.streams.add({
          name: options.stream,
          subjects,
          retention: RetentionPolicy.Workqueue,
          storage: StorageType.File,
        });
      }
      return new NatsLink(options, nc, jsm);
    } catch (error) {
      await nc.close();
      throw error;
    }
  }

  subject(flow: AwaitFlow): string {
    return `${this.#o.subjectPrefix}.${flow}`;
  }

  async publish(flow: AwaitFlow, body: Uint8Array, messageId: string): Promise<void> {
    await this.#nc.jetstream().publish(this.subject(flow), body, { msgID: messageId });
  }

  async consume(flow: AwaitFlow, handle: MessageHandler): Promise<void> {
    const durable = `${this.#o.stream}-${flow}`;
    try {
      await this.#jsm.consumers.info(this.#o.stream, durable);
    } catch {
      await this.#jsm.consumers.add(this.#o.stream, {
        durable_name: durable,
        filter_subject: this.subject(flow),
        ack_policy: AckPolicy.Explicit,
        ack_wait: nanos(this.#o.ackWaitMs),
      });
    }
    const consumer = await this.#nc.jetstream().consumers.get(this.#o.stream, durable);
    const messages = await consumer.consume({ max_messages: this.#o.maxInFlight });
    // Messages are handled side by side, up to `maxInFlight`: one at a time, each completion
    // would wait for the previous one's commit, and commits would not share an fsync.
    const done = (async () => {
      const inFlight = new Set<Promise<void>>();
      for await (const m of messages) {
        const settled = this.#settle(m, handle).finally(() => inFlight.delete(settled));
        inFlight.add(settled);
        if (inFlight.size >= this.#o.maxInFlight) await Promise.race(inFlight);
      }
      await Promise.all(inFlight);
    })();
    this.#consuming.push({ messages, done });
  }

  async #settle(m: JsMsg, handle: MessageHandler): Promise<void> {
    let verdict: 'ack' | 'retry' = 'retry';
    try {
      verdict = await handle(m.data);
    } catch (error) {
      this.#o.logger.error({ err: error, subject: m.subject }, 'await message handler failed');
    }
    if (verdict === 'ack') m.ack();
    else m.nak(REDELIVERY_DELAY_MS);
  }

  async backlog(flow: AwaitFlow): Promise<number> {
    const subject = this.subject(flow);
    const info = await this.#jsm.streams.info(this.#o.stream, { subjects_filter: subject });
    return info.state.subjects?.[subject] ?? 0;
  }

  /** Deletes the stream (tests, and tearing a deployment down). */
  async deleteStream(): Promise<void> {
    await this.#jsm.streams.delete(this.#o.stream);
  }

  deleteNames(): Promise<void> {
    return this.deleteStream();
  }

  async close(): Promise<void> {
    for (const c of this.#consuming) c.messages.stop();
    await Promise.all(this.#consuming.map((c) => c.done));
    this.#consuming.length = 0;
    if (!this.#nc.isClosed()) await this.#nc.drain();
  }
}
