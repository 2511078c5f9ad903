import { Counter, type Registry } from 'prom-client';

/** What the await transports of one coordinator did: requests out, completions in, and faults. */
export class AwaitMetrics {
  readonly #published: Counter<'transport'>;
  readonly #completions: Counter<'transport' | 'outcome'>;
  readonly #consumerErrors: Counter<'transport' | 'reason'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.#published = new Counter({
      name: 'capstan_await_requests_published_total',
      help: 'Await requests a transport accepted from the outbox relay.',
      labelNames: ['transport'],
      registers,
    });
    this.#completions = new Counter({
      name: 'capstan_await_completions_total',
      help: 'Completions received over a transport, by outcome: completed, duplicate, or the refusal (interaction_not_found, interaction_conflict, …).',
      labelNames: ['transport', 'outcome'],
      registers,
    });
    this.#consumerErrors = new Counter({
      name: 'capstan_await_consumer_errors_total',
      help: 'Completion messages a consumer could not use: malformed (acknowledged and dropped) or left for redelivery after a fault of this side.',
      labelNames: ['transport', 'reason'],
      registers,
    });
  }

  published(transport: string): void {
    this.#published.inc({ transport });
  }

  completion(transport: string, outcome: string): void {
    this.#completions.inc({ transport, outcome });
  }

  consumerError(transport: string, reason: 'malformed' | 'redelivered'): void {
    this.#consumerErrors.inc({ transport, reason });
  }
}
