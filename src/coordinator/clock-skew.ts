import type { Clock } from '../runtime/clock.ts';
import type { Logger } from '../runtime/logger.ts';
import type { Store } from '../store/store-port.ts';

export interface ClockSkewReading {
  /** This node's clock minus the database's, estimated at the round trip's midpoint. */
  readonly skewMs: number;
  /** How long the measuring round trip took: the estimate is good to half of it. */
  readonly roundTripMs: number;
  /** When it was measured, by this node's clock. */
  readonly atMs: number;
  readonly withinBound: boolean;
}

/** Thrown at start when this node's clock is too far from the database's. */
export class ClockSkewError extends Error {
  constructor(reading: ClockSkewReading, maxSkewMs: number) {
    super(
      `this node's clock is ${Math.round(reading.skewMs)} ms off the database's ` +
        `(pipeline.orchestrator.cluster.max-clock-skew allows ${maxSkewMs} ms): leases and due times ` +
        'are compared across nodes, so a skewed clock would reclaim live leases. Synchronise it (NTP) first.',
    );
    this.name = 'ClockSkewError';
  }
}

/**
 * Measures how far this node's clock is from the shared database's (`clock_timestamp()`):
 * leases, due times and deadlines are written by one node's clock and compared by another's,
 * so a node whose clock runs ahead would take live leases for expired ones. The node
 * measures at start and before each leadership renewal; while the skew is beyond the bound it
 * reports not ready and neither takes nor keeps the maintenance leadership (which reclaims
 * leases). A store one process owns alone (SQLite) has no other clock to disagree with.
 */
export class ClockSkewMonitor {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #maxSkewMs: number;
  #last: ClockSkewReading | undefined;

  constructor(deps: { store: Store; clock: Clock; maxSkewMs: number }) {
    this.#store = deps.store;
    this.#clock = deps.clock;
    this.#maxSkewMs = deps.maxSkewMs;
  }

  get maxSkewMs(): number {
    return this.#maxSkewMs;
  }

  /** The last reading; undefined before the first, or on a store without a clock of its own. */
  get last(): ClockSkewReading | undefined {
    return this.#last;
  }

  /** False while the last reading was beyond the bound. */
  get healthy(): boolean {
    return this.#last?.withinBound ?? true;
  }

  /** Measures now; a store that cannot answer keeps the last reading (and throws). */
  async measure(): Promise<ClockSkewReading | undefined> {
    if (!this.#store.databaseTimeMs) return undefined;
    const sentAtMs = this.#clock.now();
    const databaseMs = await this.#store.databaseTimeMs();
    const receivedAtMs = this.#clock.now();
    const skewMs = (sentAtMs + receivedAtMs) / 2 - databaseMs;
    this.#last = {
      skewMs,
      roundTripMs: receivedAtMs - sentAtMs,
      atMs: receivedAtMs,
      withinBound: Math.abs(skewMs) <= this.#maxSkewMs,
    };
    return this.#last;
  }

  /**
   * Measures, warning when beyond the bound; true while within it. A store that cannot answer
   * now leaves the last reading in force (it cannot be acted on anyway): the leadership renewal
   * that follows reports the unreachable store.
   */
  async trusted(logger: Logger): Promise<boolean> {
    try {
      const reading = await this.measure();
      if (reading && !reading.withinBound)
        logger.warn(
          { skewMs: Math.round(reading.skewMs), maxSkewMs: this.#maxSkewMs },
          "this node's clock is too far off the database's: not ready, not leading",
        );
    } catch {
      // Reported by the renewal.
    }
    return this.healthy;
  }

  /** Readiness's clock check: DOWN while the last measured skew was beyond the bound. */
  check(): { status: 'UP' | 'DOWN'; skewMs: number | null; maxSkewMs: number } {
    return {
      status: this.healthy ? 'UP' : 'DOWN',
      skewMs: this.#last ? Math.round(this.#last.skewMs) : null,
      maxSkewMs: this.#maxSkewMs,
    };
  }

  /** Measures and throws `ClockSkewError` when beyond the bound (the start-up check). */
  async assertWithinBound(): Promise<void> {
    const reading = await this.measure();
    if (reading && !reading.withinBound) throw new ClockSkewError(reading, this.#maxSkewMs);
  }
}
