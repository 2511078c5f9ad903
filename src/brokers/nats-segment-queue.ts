import type { Logger } from '../runtime/logger.ts';
import type { DeliveryHandler } from './delivery.ts';
import { NatsSession } from './nats-session.ts';
import {
  ABANDONED_REPLIES_AFTER_MS,
  nameToken,
  repliesAddress,
  requestsAddress,
  type SegmentQueueLink,
} from './segment-queue-link.ts';

export interface NatsSegmentQueueOptions {
  readonly url: string;
  /** The JetStream stream (and subject root) holding requests and replies; created when missing. */
  readonly name: string;
  /** How long a taken request may stay unacknowledged before JetStream gives it to another worker. */
  readonly ackWaitMs: number;
  /** Requests a worker (or replies a node) holds at once. */
  readonly maxInFlight: number;
  readonly logger: Logger;
  readonly connectTimeoutMs?: number;
}

/**
 * The queue worker protocol over NATS JetStream: one work-queue stream `<name>` with subjects
 * `<name>.requests.<queue>` and `<name>.replies.<node>`. A worker group shares the durable
 * consumer of its request subject; each node has a durable consumer filtered on its own reply
 * subject, so the stream is the one reply queue of every node and each reply reaches the node
 * it names. A node's consumer that sees no consumer for a day is dropped by the server.
 */
export class NatsSegmentQueue implements SegmentQueueLink {
  readonly broker = 'nats';
  readonly #o: NatsSegmentQueueOptions;
  readonly #session: NatsSession;

  private constructor(options: NatsSegmentQueueOptions, session: NatsSession) {
    this.#o = options;
    this.#session = session;
  }

  static async open(options: NatsSegmentQueueOptions): Promise<NatsSegmentQueue> {
    const session = await NatsSession.open(
      options.url,
      'capstan-segments',
      options.logger,
      options.connectTimeoutMs,
    );
    try {
      await session.ensureStream(options.name, [`${options.name}.>`], {
        maxAgeMs: ABANDONED_REPLIES_AFTER_MS,
      });
      return new NatsSegmentQueue(options, session);
    } catch (error) {
      await session.close();
      throw error;
    }
  }

  publishRequest(queue: string, body: Uint8Array, messageId: string): Promise<void> {
    return this.#session.publish(requestsAddress(this.#o.name, queue), body, messageId);
  }

  consumeRequests(queue: string, handle: DeliveryHandler): Promise<void> {
    return this.#consume(`requests-${nameToken(queue)}`, requestsAddress(this.#o.name, queue), handle);
  }

  publishReply(nodeId: string, body: Uint8Array, messageId: string): Promise<void> {
    return this.#session.publish(repliesAddress(this.#o.name, nodeId), body, messageId);
  }

  consumeReplies(nodeId: string, handle: DeliveryHandler): Promise<void> {
    // A node that is gone (its id not used again) leaves a consumer the server drops in time.
    return this.#consume(
      `replies-${nameToken(nodeId)}`,
      repliesAddress(this.#o.name, nodeId),
      handle,
      ABANDONED_REPLIES_AFTER_MS,
    );
  }

  #consume(durable: string, filterSubject: string, handle: DeliveryHandler, inactiveAfterMs?: number) {
    const { name: stream, ackWaitMs, maxInFlight } = this.#o;
    return this.#session.consume(
      {
        stream,
        durable,
        filterSubject,
        ackWaitMs,
        maxInFlight,
        ...(inactiveAfterMs ? { inactiveAfterMs } : {}),
      },
      handle,
    );
  }

  /** The stream holds every queue and node of this name: deleting it removes them all. */
  async remove(): Promise<void> {
    await this.#session.deleteStream(this.#o.name);
  }

  close(): Promise<void> {
    return this.#session.close();
  }
}
