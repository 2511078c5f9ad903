import {
  awaitRequestMessage,
  decodeJson,
  encodeJson,
  type AwaitRequestMessage,
} from '../awaits/await-messages.ts';
import type { BrokerLink } from '../awaits/broker-link.ts';
import { silentLogger, type Logger } from '../runtime/logger.ts';
import { systemRandom, type Random } from '../runtime/random.ts';

/** How the mock answers: after a delay, approving or rejecting, one by one or in bursts. */
export interface ProviderProfile {
  /** Wait before answering each request, ms. Default 0. */
  readonly delayMs?: number;
  /** The chance (0..1) a request is rejected. Default 0. */
  readonly rejectProbability?: number;
  /**
   * Answers held back and sent together, `size` at a time (or whatever is held after
   * `maxWaitMs`): a provider that settles in batches. Default: each answer on its own.
   */
  readonly burst?: { readonly size: number; readonly maxWaitMs: number };
  /** The completion's response; default `{ status: 'APPROVED' | 'REJECTED', providerReference }`. */
  readonly answer?: (request: AwaitRequestMessage, rejected: boolean) => unknown;
}

export interface ProviderMockOptions extends ProviderProfile {
  /** The broker link of the transport under test: the mock consumes its requests. */
  readonly link: BrokerLink;
  readonly random?: Random;
  readonly logger?: Logger;
}

export const defaultAnswer = (request: AwaitRequestMessage, rejected: boolean): unknown => ({
  status: rejected ? 'REJECTED' : 'APPROVED',
  providerReference: `mock-${request.interactionId}`,
  ...(rejected ? { reason: 'declined by the provider mock' } : {}),
});

/**
 * A payment provider stand-in on the other side of an await transport: it consumes the
 * coordinator's requests from the broker and publishes a completion for each, per its profile.
 * A request is acknowledged only once its completion is published, so a mock stopped midway
 * leaves the rest to be redelivered, as a real provider's crash would.
 */
export class ProviderMock {
  readonly #o: ProviderMockOptions;
  readonly #random: Random;
  readonly #logger: Logger;
  readonly #held: {
    completion: Uint8Array;
    id: string;
    onPublish: () => void;
    sent: () => void;
    failed: (e: unknown) => void;
  }[] = [];
  readonly #pauses = new Map<NodeJS.Timeout, () => void>();
  #stopping = false;
  #burstTimer: NodeJS.Timeout | undefined;
  /** Requests answered so far, by interaction id (a redelivered request is answered again). */
  readonly answered = new Map<string, unknown>();
  /** Requests received and not answered yet: what the coordinator has outstanding here. */
  readonly #open = new Set<string>();
  /** The most requests this provider held unanswered at once (an admission budget bounds it). */
  maxConcurrent = 0;

  constructor(options: ProviderMockOptions) {
    this.#o = options;
    this.#random = options.random ?? systemRandom;
    this.#logger = options.logger ?? silentLogger;
  }

  start(): Promise<void> {
    return this.#o.link.consume('requests', async (body) => {
      let request: AwaitRequestMessage;
      try {
        request = decodeJson(awaitRequestMessage, body);
      } catch (error) {
        this.#logger.warn({ reason: (error as Error).message }, 'provider mock: request dropped');
        return 'ack';
      }
      this.#open.add(request.interactionId);
      this.maxConcurrent = Math.max(this.maxConcurrent, this.#open.size);
      try {
        return await this.#answer(request);
      } finally {
        this.#open.delete(request.interactionId);
      }
    });
  }

  /** Requests received and not answered yet, now. */
  get concurrent(): number {
    return this.#open.size;
  }

  async #answer(request: AwaitRequestMessage): Promise<'ack' | 'retry'> {
    await this.#pause(this.#o.delayMs ?? 0);
    if (this.#stopping) return 'retry';
    const rejected = this.#random.next() < (this.#o.rejectProbability ?? 0);
    const response = (this.#o.answer ?? defaultAnswer)(request, rejected);
    const completion = encodeJson({
      kind: 'capstan.await.completion',
      tenantId: request.tenantId,
      interactionId: request.interactionId,
      correlationId: request.correlationId,
      response,
      actor: 'provider-mock',
    });
    // Answered once the completion goes to the broker, not once the broker confirmed it: the
    // coordinator may take the completion (and admit the next request) before that confirmation
    // is back here, and counting it as still open would see more requests out than there are.
    await this.#send(completion, `completion:${request.interactionId}`, () =>
      this.#open.delete(request.interactionId),
    );
    this.answered.set(request.interactionId, response);
    return 'ack';
  }

  /** Releases held answers, stops consuming and closes the link. */
  async stop(): Promise<void> {
    this.#stopping = true;
    for (const [timer, resolve] of this.#pauses) {
      clearTimeout(timer);
      resolve();
    }
    this.#pauses.clear();
    await this.#flush();
    await this.#o.link.close();
  }

  #send(completion: Uint8Array, id: string, onPublish: () => void): Promise<void> {
    const burst = this.#o.burst;
    if (!burst) {
      onPublish();
      return this.#o.link.publish('completions', completion, id);
    }
    return new Promise((sent, failed) => {
      this.#held.push({ completion, id, onPublish, sent, failed });
      if (this.#held.length >= burst.size) void this.#flush();
      else this.#burstTimer ??= setTimeout(() => void this.#flush(), burst.maxWaitMs);
    });
  }

  async #flush(): Promise<void> {
    if (this.#burstTimer) clearTimeout(this.#burstTimer);
    this.#burstTimer = undefined;
    const batch = this.#held.splice(0);
    await Promise.all(
      batch.map((h) => {
        h.onPublish();
        return this.#o.link.publish('completions', h.completion, h.id).then(h.sent, h.failed);
      }),
    );
  }

  #pause(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#pauses.delete(timer);
        resolve();
      }, ms);
      this.#pauses.set(timer, resolve);
    });
  }
}
