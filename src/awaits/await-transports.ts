import type { Registry } from 'prom-client';
import type { PublicationSink } from '../dlq/outbox-relay.ts';
import type { Logger } from '../runtime/logger.ts';
import { awaitTopic, requestOf } from './await-publication.ts';
import { AwaitMetrics } from './await-metrics.ts';
import type { AwaitTransport } from './await-transport.ts';
import type { CallbackSigner } from './callback-signature.ts';
import { completionReceiver, type InteractionCompleter } from './completion-receiver.ts';

/**
 * A coordinator's await transports: an outbox sink for each (topic `await.<name>`), their
 * completion consumers, and their metrics. Wiring: pass `sinks()` to the coordinator, call
 * `observe` with its metrics registry, `start` it after the coordinator, `stop` it before.
 */
export class AwaitTransports {
  readonly #transports: ReadonlyMap<string, AwaitTransport>;
  readonly #logger: Logger;
  /** Signs and checks webhook callback URLs; undefined without a webhook transport. */
  readonly callbackSigner: CallbackSigner | undefined;
  #metrics: AwaitMetrics | undefined;
  #started = false;

  constructor(transports: readonly AwaitTransport[], logger: Logger, callbackSigner?: CallbackSigner) {
    this.#transports = new Map(transports.map((t) => [t.name, t]));
    this.#logger = logger;
    this.callbackSigner = callbackSigner;
  }

  get names(): readonly string[] {
    return [...this.#transports.keys()];
  }

  get metrics(): AwaitMetrics | undefined {
    return this.#metrics;
  }

  /** The outbox relay's sinks, one per transport. */
  sinks(): Map<string, PublicationSink> {
    return new Map(
      [...this.#transports.values()].map((t) => [
        awaitTopic(t.name),
        {
          deliver: async (message) => {
            await t.publish(requestOf(message));
            this.#metrics?.published(t.name);
          },
        },
      ]),
    );
  }

  /** Counts publications, completions and consumer errors in `registry` (the coordinator's). */
  observe(registry: Registry): void {
    this.#metrics ??= new AwaitMetrics(registry);
  }

  /** Starts every transport's completion consumer. */
  async start(completer: InteractionCompleter): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    for (const t of this.#transports.values())
      await t.startConsumer(completionReceiver(t.name, completer, this.#logger, this.#metrics));
  }

  /** Stops consumers and closes connections; unacknowledged messages are redelivered later. */
  async stop(): Promise<void> {
    for (const t of this.#transports.values()) {
      await t
        .stop()
        .catch((error: unknown) =>
          this.#logger.warn({ err: error, transport: t.name }, 'await transport did not stop cleanly'),
        );
    }
  }
}
