import { NatsSession } from '../brokers/nats-session.ts';
import type { Logger } from '../runtime/logger.ts';
import type { AwaitFlow, BrokerLink, MessageHandler } from './broker-link.ts';

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
  readonly #session: NatsSession;

  private constructor(options: NatsLinkOptions, session: NatsSession) {
    this.#o = options;
    this.#session = session;
  }

  /** Connects and makes sure the stream exists. */
  static async open(options: NatsLinkOptions): Promise<NatsLink> {
    const session = await NatsSession.open(options.url, 'capstan-awaits', options.logger);
    try {
      await session.ensureStream(options.stream, [`${options.subjectPrefix}.>`]);
      return new NatsLink(options, session);
    } catch (error) {
      await session.close();
      throw error;
    }
  }

  subject(flow: AwaitFlow): string {
    return `${this.#o.subjectPrefix}.${flow}`;
  }

  publish(flow: AwaitFlow, body: Uint8Array, messageId: string): Promise<void> {
    return this.#session.publish(this.subject(flow), body, messageId);
  }

  consume(flow: AwaitFlow, handle: MessageHandler): Promise<void> {
    const { stream, ackWaitMs, maxInFlight } = this.#o;
    return this.#session.consume(
      { stream, durable: `${stream}-${flow}`, filterSubject: this.subject(flow), ackWaitMs, maxInFlight },
      handle,
    );
  }

  backlog(flow: AwaitFlow): Promise<number> {
    return this.#session.held(this.#o.stream, this.subject(flow));
  }

  /** Deletes the stream (tests, and tearing a deployment down). */
  async deleteStream(): Promise<void> {
    await this.#session.deleteStream(this.#o.stream);
  }

  deleteNames(): Promise<void> {
    return this.deleteStream();
  }

  close(): Promise<void> {
    return this.#session.close();
  }
}
