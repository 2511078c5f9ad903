import { createHash } from 'node:crypto';
import type { Logger } from '../runtime/logger.ts';
import type { DeliveryHandler } from './delivery.ts';
import { SqsSession } from './sqs-session.ts';
import { ABANDONED_REPLIES_AFTER_MS, nameToken, type SegmentQueueLink } from './segment-queue-link.ts';

export interface SqsSegmentQueueOptions {
  /** The SQS endpoint; undefined: AWS's own for `region`. An SQS-compatible server's URL otherwise. */
  readonly endpoint: string | undefined;
  readonly region: string;
  /** The prefix of every queue of this deployment. */
  readonly name: string;
  /** How long a taken request stays invisible before SQS gives it to another worker. */
  readonly ackWaitMs: number;
  /** Requests a worker (or replies a node) holds at once. */
  readonly maxInFlight: number;
  readonly logger: Logger;
}

/** SQS's rule for a standard queue's name. */
const SQS_NAME = /^[A-Za-z0-9_-]{1,80}$/;

/**
 * `name` as a valid SQS queue name: kept when valid, otherwise cut and ended by a digest of the
 * whole, so two long names that share their first 71 characters stay apart.
 */
export function sqsQueueName(name: string): string {
  if (SQS_NAME.test(name)) return name;
  const digest = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 71)}-${digest}`;
}

/** A reply queue nobody reads keeps a message this long (SQS's retention, in seconds). */
const REPLY_QUEUE_ATTRIBUTES = { MessageRetentionPeriod: String(ABANDONED_REPLIES_AFTER_MS / 1000) };

/**
 * The queue worker protocol over Amazon SQS: a standard queue `<name>-requests-<queue>` per
 * worker group, its workers competing for it, and a queue `<name>-replies-<node>` per
 * coordinator node. SQS routes nothing (no subjects, no exchanges), so each node long-polls a
 * queue of its own and a worker sends a reply straight to the queue of the node its signed
 * request names: no node ever receives another's reply. A node that is gone leaves a queue
 * whose messages expire after a day.
 */
export class SqsSegmentQueue implements SegmentQueueLink {
  readonly broker = 'sqs';
  readonly #o: SqsSegmentQueueOptions;
  readonly #session: SqsSession;

  private constructor(options: SqsSegmentQueueOptions, session: SqsSession) {
    this.#o = options;
    this.#session = session;
  }

  /** Opens the client and checks SQS answers (listing queues of this name), so a bad endpoint fails at start. */
  static async open(options: SqsSegmentQueueOptions): Promise<SqsSegmentQueue> {
    const session = await SqsSession.open(options.endpoint, options.region, options.logger);
    try {
      await session.probe(options.name);
      return new SqsSegmentQueue(options, session);
    } catch (error) {
      await session.close();
      throw error;
    }
  }

  #requests(queue: string): string {
    return sqsQueueName(`${this.#o.name}-requests-${nameToken(queue)}`);
  }

  #replies(nodeId: string): string {
    return sqsQueueName(`${this.#o.name}-replies-${nameToken(nodeId)}`);
  }

  publishRequest(queue: string, body: Uint8Array, messageId: string): Promise<void> {
    return this.#session.send(this.#requests(queue), body, messageId);
  }

  consumeRequests(queue: string, handle: DeliveryHandler): Promise<void> {
    return this.#consume(this.#requests(queue), handle);
  }

  async publishReply(nodeId: string, body: Uint8Array, messageId: string): Promise<void> {
    const queue = this.#replies(nodeId);
    await this.#session.queueUrl(queue, REPLY_QUEUE_ATTRIBUTES);
    await this.#session.send(queue, body, messageId);
  }

  async consumeReplies(nodeId: string, handle: DeliveryHandler): Promise<void> {
    const queue = this.#replies(nodeId);
    await this.#session.queueUrl(queue, REPLY_QUEUE_ATTRIBUTES);
    await this.#consume(queue, handle);
  }

  #consume(queue: string, handle: DeliveryHandler): Promise<void> {
    const { ackWaitMs: visibilityTimeoutMs, maxInFlight } = this.#o;
    return this.#session.consume({ queue, visibilityTimeoutMs, maxInFlight }, handle);
  }

  /** Deletes the request queues of these groups and the reply queues of these nodes. */
  async remove(names: { queues: readonly string[]; nodes: readonly string[] }): Promise<void> {
    for (const queue of names.queues) await this.#session.deleteQueue(this.#requests(queue));
    for (const node of names.nodes) await this.#session.deleteQueue(this.#replies(node));
  }

  close(): Promise<void> {
    return this.#session.close();
  }
}
