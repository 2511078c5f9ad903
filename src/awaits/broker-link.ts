import type { CompletionVerdict } from './await-transport.ts';

/** The two flows of an await transport: requests go out, completions come back. */
export type AwaitFlow = 'requests' | 'completions';

export type MessageHandler = (body: Uint8Array) => Promise<CompletionVerdict>;

/**
 * What an await transport needs of a broker: durable publication with the broker's
 * confirmation, and a durable competing consumer that settles each message explicitly. The
 * coordinator publishes `requests` and consumes `completions`; a provider (the mock in
 * `src/tools/provider-mock.ts`) does the opposite over the same link, so both sides share
 * one adapter per broker. A Kafka or SQS adapter implements this and gets the rest.
 */
export interface BrokerLink {
  /** The broker's name (`nats`, `rabbitmq`): the transport's default name and a metrics label. */
  readonly broker: string;
  /**
   * Publishes durably; resolves once the broker confirmed it. `messageId` is stable across
   * retries of the same message so brokers with deduplication drop the repeat.
   */
  publish(flow: AwaitFlow, body: Uint8Array, messageId: string): Promise<void>;
  /**
   * Consumes `flow` until `close`: each message goes to `handle`, and is acknowledged on
   * `ack` or left for redelivery (after a pause) on `retry` or when `handle` throws.
   */
  consume(flow: AwaitFlow, handle: MessageHandler): Promise<void>;
  /** Messages of `flow` still held by the broker (ready or unacknowledged). */
  backlog(flow: AwaitFlow): Promise<number>;
  /** Deletes the stream or queues the link declared, messages and all (tests, tearing down). */
  deleteNames(): Promise<void>;
  /** Stops consuming, waits for the handlers in flight, and closes the connection. */
  close(): Promise<void>;
}
