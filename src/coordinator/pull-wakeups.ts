import type { Timers } from '../runtime/timers.ts';

/**
 * What ended a pull worker's wait: `notify`, another node made work due (PostgreSQL
 * LISTEN/NOTIFY); `local`, this node did (a submit, a completion, a re-drive); `pass`, a
 * maintenance pass (the safety net for work that fell due with no signal, e.g. a retry's
 * back-off ending); `deadline`, the poll's wait ran out; `stopped`, the caller hung up or
 * the coordinator stops.
 */
export type WakeCause = 'notify' | 'local' | 'pass' | 'deadline' | 'stopped';

/**
 * The pull polls waiting on this node for work. A wake-up is pushed to every one of them, and
 * each claims again: a wake-up is a hint, never state, so one that finds nothing waits again.
 * There is no polling of the store in between.
 */
export class PullWakeups {
  readonly #waiters = new Set<(cause: WakeCause) => void>();
  readonly #timers: Timers;

  constructor(timers: Timers) {
    this.#timers = timers;
  }

  /** How many polls wait now. */
  get waiting(): number {
    return this.#waiters.size;
  }

  /** Wakes every waiting poll. */
  wake(cause: Exclude<WakeCause, 'deadline' | 'stopped'>): void {
    for (const waiter of [...this.#waiters]) waiter(cause);
  }

  /**
   * Listens from now on: `woken` resolves with the first wake-up, or `deadline` after
   * `timeoutMs`; `stop` ends it early. A poll listens before it claims, so work that falls due
   * while its claim is in flight still wakes it.
   */
  listen(timeoutMs: number): { woken: Promise<WakeCause>; stop: () => void } {
    let settle: (cause: WakeCause) => void = () => undefined;
    const woken = new Promise<WakeCause>((resolve) => (settle = resolve));
    const end = (cause: WakeCause): void => {
      this.#timers.clearTimeout(timer);
      this.#waiters.delete(end);
      settle(cause);
    };
    const timer = this.#timers.setTimeout(() => end('deadline'), Math.max(0, timeoutMs));
    this.#waiters.add(end);
    return { woken, stop: () => end('stopped') };
  }

  /** Ends every wait (at shutdown). */
  stopAll(): void {
    for (const waiter of [...this.#waiters]) waiter('stopped');
  }
}
