import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import type * as SqsSdk from '@aws-sdk/client-sqs';
import type { Logger } from '../runtime/logger.ts';
import { REDELIVERY_DELAY_MS, type DeliveryHandler, type Verdict } from './delivery.ts';

/** SQS's own bound on one long poll (`WaitTimeSeconds`) and one receive (`MaxNumberOfMessages`). */
const LONG_POLL_SECONDS = 20;
const RECEIVE_MAX = 10;

export interface SqsConsumeOptions {
  /** The queue's name (created when missing). */
  readonly queue: string;
  /** How long a received message stays invisible to other consumers before SQS redelivers it. */
  readonly visibilityTimeoutMs: number;
  /** Messages held at once (at most 10 are received per call, SQS's limit). */
  readonly maxInFlight: number;
}

/**
 * One SQS client shared by the links built on it (the await link, the segment queue): queues
 * created on first use and their URLs kept, sends, long-poll consume loops, queue depth and
 * removal. SQS has no connection to lose; a failed receive is logged and tried again after a
 * pause. The SDK is loaded only when a session opens, so deployments without SQS never load it.
 * Credentials come from the AWS SDK's default chain (environment, profile, instance role).
 */
export class SqsSession {
  readonly #sdk: typeof SqsSdk;
  readonly #client: SQSClient;
  readonly #logger: Logger;
  /** Queue name → its URL (pending while CreateQueue is under way). */
  readonly #urls = new Map<string, Promise<string>>();
  readonly #loops: Promise<void>[] = [];
  readonly #abort = new AbortController();

  private constructor(sdk: typeof SqsSdk, client: SQSClient, logger: Logger) {
    this.#sdk = sdk;
    this.#client = client;
    this.#logger = logger;
  }

  /** `endpoint` undefined: AWS's own for `region`; an SQS-compatible server's URL otherwise. */
  static async open(endpoint: string | undefined, region: string, logger: Logger): Promise<SqsSession> {
    const sdk = await import('@aws-sdk/client-sqs');
    const client = new sdk.SQSClient({ region, ...(endpoint ? { endpoint } : {}) });
    return new SqsSession(sdk, client, logger);
  }

  get closed(): boolean {
    return this.#abort.signal.aborted;
  }

  /**
   * The queue's URL, creating it when missing (CreateQueue answers an existing queue's URL when
   * its attributes match, so every caller passes the same ones for a name).
   */
  queueUrl(name: string, attributes?: Record<string, string>): Promise<string> {
    let url = this.#urls.get(name);
    if (!url) {
      url = this.#create(name, attributes);
      this.#urls.set(name, url);
      // A failed creation is not kept: the next use tries again.
      url.catch(() => this.#urls.delete(name));
    }
    return url;
  }

  async #create(name: string, attributes?: Record<string, string>): Promise<string> {
    const created = await this.#client.send(
      new this.#sdk.CreateQueueCommand({
        QueueName: name,
        ...(attributes ? { Attributes: attributes } : {}),
      }),
    );
    if (!created.QueueUrl) throw new Error(`SQS answered no URL for queue ${name}`);
    return created.QueueUrl;
  }

  /** One cheap call (ListQueues under `prefix`), so an unreachable endpoint or bad credentials fail now. */
  async probe(prefix: string): Promise<void> {
    await this.#client.send(new this.#sdk.ListQueuesCommand({ QueueNamePrefix: prefix, MaxResults: 1 }));
  }

  async send(queue: string, body: Uint8Array, messageId: string): Promise<void> {
    if (this.closed) throw new Error('the SQS session is closed');
    await this.#client.send(
      new this.#sdk.SendMessageCommand({
        QueueUrl: await this.queueUrl(queue),
        MessageBody: Buffer.from(body).toString('utf8'),
        MessageAttributes: { 'capstan-message-id': { DataType: 'String', StringValue: messageId } },
      }),
    );
  }

  /** Starts consuming `queue` (resolves once its URL is known) until the session closes. */
  async consume(options: SqsConsumeOptions, handle: DeliveryHandler): Promise<void> {
    const url = await this.queueUrl(options.queue);
    this.#loops.push(this.#receiveLoop(url, options, handle));
  }

  /**
   * Receives while the session is open: one long poll at a time, asking only for what the free
   * slots can take, each message handled side by side and settled on its own.
   */
  async #receiveLoop(QueueUrl: string, o: SqsConsumeOptions, handle: DeliveryHandler): Promise<void> {
    const inFlight = new Set<Promise<void>>();
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      const free = o.maxInFlight - inFlight.size;
      if (free <= 0) {
        await Promise.race(inFlight);
        continue;
      }
      let messages: Message[];
      try {
        const answer = await this.#client.send(
          new this.#sdk.ReceiveMessageCommand({
            QueueUrl,
            MaxNumberOfMessages: Math.min(free, RECEIVE_MAX),
            WaitTimeSeconds: LONG_POLL_SECONDS,
            VisibilityTimeout: Math.ceil(o.visibilityTimeoutMs / 1000),
          }),
          { abortSignal: signal },
        );
        messages = answer.Messages ?? [];
      } catch (error) {
        if (signal.aborted) break;
        this.#logger.error({ err: error, queue: QueueUrl }, 'SQS receive failed');
        await pause(REDELIVERY_DELAY_MS, signal);
        continue;
      }
      for (const m of messages) {
        const settled = this.#settle(QueueUrl, m, handle).finally(() => inFlight.delete(settled));
        inFlight.add(settled);
      }
    }
    await Promise.all(inFlight);
  }

  /** Deleted when handled; otherwise visible again after a short pause rather than the full timeout. */
  async #settle(QueueUrl: string, m: Message, handle: DeliveryHandler): Promise<void> {
    let verdict: Verdict = 'retry';
    try {
      verdict = await handle(new TextEncoder().encode(m.Body ?? ''));
    } catch (error) {
      this.#logger.error({ err: error, queue: QueueUrl }, 'SQS message handler failed');
    }
    const ReceiptHandle = m.ReceiptHandle;
    try {
      if (verdict === 'ack')
        await this.#client.send(new this.#sdk.DeleteMessageCommand({ QueueUrl, ReceiptHandle }));
      else
        await this.#client.send(
          new this.#sdk.ChangeMessageVisibilityCommand({
            QueueUrl,
            ReceiptHandle,
            VisibilityTimeout: Math.ceil(REDELIVERY_DELAY_MS / 1000),
          }),
        );
    } catch (error) {
      // The message comes back when its visibility timeout ends; consumers are idempotent.
      this.#logger.warn(
        { err: error, queue: QueueUrl, verdict },
        'SQS settle failed; message will be redelivered',
      );
    }
  }

  /** Messages waiting or taken and not yet deleted. */
  async depth(queue: string): Promise<number> {
    const answer = await this.#client.send(
      new this.#sdk.GetQueueAttributesCommand({
        QueueUrl: await this.queueUrl(queue),
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    const a = answer.Attributes ?? {};
    return Number(a.ApproximateNumberOfMessages ?? 0) + Number(a.ApproximateNumberOfMessagesNotVisible ?? 0);
  }

  /** Deletes the queue if it exists (tests, and tearing a deployment down). */
  async deleteQueue(name: string): Promise<void> {
    const known = await this.#urls.get(name)?.catch(() => undefined);
    this.#urls.delete(name);
    try {
      const QueueUrl =
        known ?? (await this.#client.send(new this.#sdk.GetQueueUrlCommand({ QueueName: name }))).QueueUrl;
      if (QueueUrl) await this.#client.send(new this.#sdk.DeleteQueueCommand({ QueueUrl }));
    } catch (error) {
      if (!isMissingQueue(error)) throw error;
    }
  }

  /** Stops the long polls, waits for the handlers in flight, and lets the client go. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.#abort.abort();
    await Promise.all(this.#loops.splice(0));
    this.#client.destroy();
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

/** SQS's answer for a queue that is not there (its JSON and its query protocol name it apart). */
function isMissingQueue(error: unknown): boolean {
  const name = (error as { name?: string }).name ?? '';
  return name === 'QueueDoesNotExist' || name.includes('NonExistentQueue');
}
