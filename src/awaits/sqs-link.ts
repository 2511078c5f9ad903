import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import type * as SqsSdk from '@aws-sdk/client-sqs';
import type { Logger } from '../runtime/logger.ts';
import { REDELIVERY_DELAY_MS } from '../brokers/delivery.ts';
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

/** SQS's own bound on one long poll (`WaitTimeSeconds`) and one receive (`MaxNumberOfMessages`). */
const LONG_POLL_SECONDS = 20;
const RECEIVE_MAX = 10;

/**
 * An await link over Amazon SQS (or a server speaking its API): two standard queues, long-poll
 * receives, a message deleted once handled and made visible again after a pause when not. SQS
 * delivers at least once and keeps no order; the completion receiver is idempotent per
 * interaction, so neither matters. Credentials come from the AWS SDK's default chain
 * (environment, profile, instance role). The SDK is loaded only when the transport is enabled.
 */
export class SqsLink implements BrokerLink {
  readonly broker = 'sqs';
  readonly #o: SqsLinkOptions;
  readonly #client: SQSClient;
  readonly #sdk: typeof SqsSdk;
  readonly #urls: Record<AwaitFlow, string>;
  readonly #loops: Promise<void>[] = [];
  readonly #abort = new AbortController();

  private constructor(
    options: SqsLinkOptions,
    sdk: typeof SqsSdk,
    client: SQSClient,
    urls: Record<AwaitFlow, string>,
  ) {
    this.#o = options;
    this.#sdk = sdk;
    this.#client = client;
    this.#urls = urls;
  }

  /** Creates the client and both queues (CreateQueue answers the existing queue's URL). */
  static async open(options: SqsLinkOptions): Promise<SqsLink> {
    const sdk = await import('@aws-sdk/client-sqs');
    const client = new sdk.SQSClient({
      region: options.region,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    });
    try {
      const urlOf = async (flow: AwaitFlow) => {
        const created = await client.send(
          new sdk.CreateQueueCommand({ QueueName: SqsLink.queueName(options.queuePrefix, flow) }),
        );
        if (!created.QueueUrl) throw new Error(`SQS answered no URL for the ${flow} queue`);
        return created.QueueUrl;
      };
      const urls = { requests: await urlOf('requests'), completions: await urlOf('completions') };
      return new SqsLink(options, sdk, client, urls);
    } catch (error) {
      client.destroy();
      throw error;
    }
  }

  static queueName(prefix: string, flow: AwaitFlow): string {
    return `${prefix}-${flow}`;
  }

  async publish(flow: AwaitFlow, body: Uint8Array, messageId: string): Promise<void> {
    await this.#client.send(
      new this.#sdk.SendMessageCommand({
        QueueUrl: this.#urls[flow],
        MessageBody: Buffer.from(body).toString('utf8'),
        MessageAttributes: { 'capstan-message-id': { DataType: 'String', StringValue: messageId } },
      }),
    );
  }

  consume(flow: AwaitFlow, handle: MessageHandler): Promise<void> {
    this.#loops.push(this.#receiveLoop(flow, handle));
    return Promise.resolve();
  }

  /**
   * Receives while the link is open: one long poll at a time, asking only for what the free
   * slots can take, each message handled concurrently and settled on its own.
   */
  async #receiveLoop(flow: AwaitFlow, handle: MessageHandler): Promise<void> {
    const inFlight = new Set<Promise<void>>();
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      const free = this.#o.maxInFlight - inFlight.size;
      if (free <= 0) {
        await Promise.race(inFlight);
        continue;
      }
      let messages: Message[];
      try {
        const answer = await this.#client.send(
          new this.#sdk.ReceiveMessageCommand({
            QueueUrl: this.#urls[flow],
            MaxNumberOfMessages: Math.min(free, RECEIVE_MAX),
            WaitTimeSeconds: LONG_POLL_SECONDS,
            VisibilityTimeout: Math.ceil(this.#o.visibilityTimeoutMs / 1000),
          }),
          { abortSignal: signal },
        );
        messages = answer.Messages ?? [];
      } catch (error) {
        if (signal.aborted) break;
        this.#o.logger.error({ err: error, queue: this.#urls[flow] }, 'SQS receive failed');
        await pause(REDELIVERY_DELAY_MS, signal);
        continue;
      }
      for (const m of messages) {
        const settled = this.#settle(flow, m, handle).finally(() => inFlight.delete(settled));
        inFlight.add(settled);
      }
    }
    await Promise.all(inFlight);
  }

  async #settle(flow: AwaitFlow, m: Message, handle: MessageHandler): Promise<void> {
    let verdict: 'ack' | 'retry' = 'retry';
    try {
      verdict = await handle(new TextEncoder().encode(m.Body ?? ''));
    } catch (error) {
      this.#o.logger.error({ err: error, queue: this.#urls[flow] }, 'await message handler failed');
    }
    const QueueUrl = this.#urls[flow];
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
      // The message comes back when its visibility timeout ends; the receiver is idempotent.
      this.#o.logger.warn(
        { err: error, queue: QueueUrl, verdict },
        'SQS settle failed; message will be redelivered',
      );
    }
  }

  async backlog(flow: AwaitFlow): Promise<number> {
    const answer = await this.#client.send(
      new this.#sdk.GetQueueAttributesCommand({
        QueueUrl: this.#urls[flow],
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    const a = answer.Attributes ?? {};
    return Number(a.ApproximateNumberOfMessages ?? 0) + Number(a.ApproximateNumberOfMessagesNotVisible ?? 0);
  }

  /** Deletes both queues (tests, and tearing a deployment down). */
  async deleteQueues(): Promise<void> {
    for (const QueueUrl of Object.values(this.#urls))
      await this.#client.send(new this.#sdk.DeleteQueueCommand({ QueueUrl }));
  }

  deleteNames(): Promise<void> {
    return this.deleteQueues();
  }

  async close(): Promise<void> {
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
