import {
  defaultRelayPolicy,
  relayOutbox,
  type PublicationSink,
  type RelayPolicy,
} from '../dlq/outbox-relay.ts';
import type { Clock } from '../runtime/clock.ts';
import type { Logger } from '../runtime/logger.ts';
import type { Store } from '../store/store-port.ts';

export interface OutboxRelayerDeps {
  readonly store: Store;
  readonly sinks: ReadonlyMap<string, PublicationSink>;
  readonly clock: Clock;
  /** Messages claimed per run. */
  readonly limit: number;
  readonly policy?: RelayPolicy;
  readonly logger: Logger;
  /** Only the maintenance leader relays: nodes relaying side by side would deliver twice. */
  readonly isLeader: () => boolean;
}

/**
 * A coordinator's outbox relay runs, one at a time. A request while a run is under way asks
 * that run to go round again, so a publication committed meanwhile goes out at once rather
 * than at the next pass; a full batch goes round again too.
 */
export class OutboxRelayer {
  readonly #d: OutboxRelayerDeps;
  #running: Promise<void> | undefined;
  #again = false;

  constructor(deps: OutboxRelayerDeps) {
    this.#d = deps;
  }

  relay(): Promise<void> {
    if (!this.#d.isLeader()) return Promise.resolve();
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = this.#runs()
      .catch((error: unknown) =>
        this.#d.logger.error({ err: error }, 'outbox relay failed; it will be retried'),
      )
      .finally(() => {
        this.#running = undefined;
      });
    return this.#running;
  }

  async #runs(): Promise<void> {
    const d = this.#d;
    let report;
    do {
      this.#again = false;
      report = await relayOutbox(
        d.store,
        d.sinks,
        d.clock.now(),
        d.limit,
        d.policy ?? defaultRelayPolicy,
        d.logger,
      );
    } while ((this.#again || report.claimed === d.limit) && d.isLeader());
  }
}
