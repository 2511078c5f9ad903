import type { Logger } from '../runtime/logger.ts';
import { SqsSession } from '../brokers/sqs-session.ts';
import type { AwaitFlow, BrokerLink, MessageHandler } from './broker-link.ts';

export interface SqsLinkOptions {
  /** The SQS endpoint; undefined: AWS's own for `region`. An SQS-compatible server's URL otherwise. */
  readonly endpoint: string | undefined;
  readonly region: string;
  /** Queues are `<prefix>-requests` and `<prefix>-completions`, created when missing. */
  readonly queuePrefix: string;
  /** How long a received message stays invisible to other consumers before SQS redelivers it. */
  readonly visibilityTimeoutMs: number;
  /** Messages a consumer holds at once (at most 10 are received per call, SQS's limit). */
  readonly maxInFlight: number;
  readonly logger: Logger;
}

const FLOWS: readonly AwaitFlow[] = ['requests', 'completions'];

/**
 * An await link over Amazon SQS (or a server speaking its API): two standard queues, long-poll
 * receives, a message deleted once handled and made visible again after a pause when not (all
 * in the shared `SqsSession`). SQS delivers at least once and keeps no order; the completion
 * receiver is idempotent per interaction, so neither matters.
 */
export class SqsLink implements BrokerLink {
  readonly broker = 'sqs';
  readonly #o: SqsLinkOptions;
  readonly #session: SqsSession;

  private constructor(options: SqsLinkOptions, session: SqsSession) {
    this.#o = options;
    this.#session = session;
  }

  /** Creates the client and both queues, so a deployment that cannot reach SQS fails at start. */
  static async open(options: SqsLinkOptions): Promise<SqsLink> {
    const session = await SqsSession.open(options.endpoint, options.region, options.logger);
    try {
      for (const flow of FLOWS) await session.queueUrl(SqsLink.queueName(options.queuePrefix, flow));
      return new SqsLink(options, session);
    } catch (error) {
      await session.close();
      throw error;
    }
  }

  static queueName(prefix: string, flow: AwaitFlow): string {
    return `${prefix}-${flow}`;
  }

  #queue(flow: AwaitFlow): string {
    return SqsLink.queueName(this.#o.queuePrefix, flow);
  }

  publish(flow: AwaitFlow, body: Uint8Array, messageId: string): Promise<void> {
    return this.#session.send(this.#queue(flow), body, messageId);
  }

  consume(flow: AwaitFlow, handle: MessageHandler): Promise<void> {
    const { visibilityTimeoutMs, maxInFlight } = this.#o;
    return this.#session.consume({ queue: this.#queue(flow), visibilityTimeoutMs, maxInFlight }, handle);
  }

  backlog(flow: AwaitFlow): Promise<number> {
    return this.#session.depth(this.#queue(flow));
  }

  /** Deletes both queues (tests, and tearing a deployment down). */
  async deleteQueues(): Promise<void> {
    for (const flow of FLOWS) await this.#session.deleteQueue(this.#queue(flow));
  }

  deleteNames(): Promise<void> {
    return this.deleteQueues();
  }

  close(): Promise<void> {
    return this.#session.close();
  }
}
