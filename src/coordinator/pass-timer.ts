import type { Clock } from '../runtime/clock.ts';
import type { TimerHandle, Timers } from '../runtime/timers.ts';

/**
 * When the coordinator's next background pass runs: one timer, set to the earliest instant
 * anything asked for. Commits pull it forward (a retry or a deadline sooner than the pass
 * already set); each pass sets it again from the store's next due instant.
 */
export class PassTimer {
  readonly #clock: Clock;
  readonly #timers: Timers;
  readonly #onFire: () => void;
  #timer: TimerHandle | undefined;
  #atMs: number | undefined;
  #stopped = false;

  constructor(clock: Clock, timers: Timers, onFire: () => void) {
    this.#clock = clock;
    this.#timers = timers;
    this.#onFire = onFire;
  }

  /** Runs the pass at `atMs`, replacing whatever was set. */
  at(atMs: number): void {
    if (this.#stopped) return;
    if (this.#timer) this.#timers.clearTimeout(this.#timer);
    this.#atMs = atMs;
    this.#timer = this.#timers.setTimeout(
      () => {
        this.#timer = undefined;
        this.#atMs = undefined;
        this.#onFire();
      },
      Math.max(0, atMs - this.#clock.now()),
    );
  }

  /** Pulls the pass forward to `atMs` when the one set runs later (or none is set). */
  noLaterThan(atMs: number): void {
    if (this.#atMs !== undefined && this.#atMs <= atMs) return;
    this.at(atMs);
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#atMs = undefined;
  }
}
