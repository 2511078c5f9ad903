/**
 * The seam between an await step and the outside world when the answer does not come through
 * the HTTP interaction API: a transport carries the step's request out and its completion back.
 *
 * Delivery is at least once both ways. The coordinator writes each request to the outbox in
 * the transaction that parks the execution, and the relay calls `publish` until it succeeds
 * (so a request may go out twice: it carries the interaction id for the receiver to dedupe).
 * Completions may also arrive twice; the coordinator's completion is idempotent, so a
 * transport only has to hand every message body to `receive` and settle it as told.
 *
 * A new broker (Kafka, SQS…) implements this interface, usually through a `BrokerLink`
 * (`broker-link.ts`) and `BrokerAwaitTransport`: see docs/await-transports.md.
 */
export interface AwaitTransport {
  /** The name await steps select it by (`transport: 'nats'`), and its outbox topic's suffix. */
  readonly name: string;
  /** Sends one request; resolves once the other side durably has it, throws otherwise (retried). */
  publish(request: AwaitRequest): Promise<void>;
  /**
   * Starts delivering completions to `receive`, and settles each message by its verdict: `ack`
   * removes it, `retry` has it delivered again later. A transport whose completions arrive
   * elsewhere (the webhook's HTTP callback) does nothing here.
   */
  startConsumer(receive: CompletionReceiver): Promise<void>;
  /** Stops consuming and closes its connections; messages in flight are redelivered later. */
  stop(): Promise<void>;
}

/** What the receiver decides about one message: `retry` only for a fault of this side (store down). */
export type CompletionVerdict = 'ack' | 'retry';

export type CompletionReceiver = (body: Uint8Array) => Promise<CompletionVerdict>;

/** An await step's request, as a transport sends it (the outbox payload, see `await-messages.ts`). */
export interface AwaitRequest {
  readonly interactionId: string;
  /** What the completion must quote back: the interaction's correlation id. */
  readonly correlationId: string;
  readonly tenantId: string;
  readonly executionId: string;
  readonly pipelineId: string;
  readonly stepId: string;
  /** The step's request payload (JSON). */
  readonly request: unknown;
  /** When the interaction times out (epoch ms); a completion after it is refused. */
  readonly deadlineAtMs: number;
}
