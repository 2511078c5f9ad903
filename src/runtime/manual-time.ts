import type { Clock } from './clock.ts';
import type { TimerHandle, Timers } from './timers.ts';

interface PendingTimer {
  readonly dueAt: number;
  readonly seq: number;
  readonly callback: () => void;
}

/**
 * A clock and timers that move only when told to. Tests (and the simulation tier) advance
 * time explicitly; timers due by the new time fire in due order.
 */
export class ManualTime implements Clock, Timers {
  #now: number;
  #seq = 0;
  readonly #pending = new Map<object, PendingTimer>();

  constructor(startAtMs = Date.UTC(2026, 0, 1)) {
    this.#now = startAtMs;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const handle = {};
    this.#pending.set(handle, { dueAt: this.#now + Math.max(0, delayMs), seq: this.#seq++, callback });
    return handle;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#pending.delete(handle);
  }

  /** Moves time forward and fires every timer that falls due, in order. */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      const next = [...this.#pending.entries()]
        .filter(([, t]) => t.dueAt <= target)
        .sort(([, a], [, b]) => a.dueAt - b.dueAt || a.seq - b.seq)[0];
      if (!next) break;
      this.#pending.delete(next[0]);
      this.#now = Math.max(this.#now, next[1].dueAt);
      next[1].callback();
    }
    this.#now = target;
  }

  get pendingTimers(): number {
    return this.#pending.size;
  }
}
