import type { Timers } from '../runtime/timers.ts';

/**
 * In-process notifications that an execution changed, so a result long-poll wakes at once
 * instead of polling. A waiter always re-reads the store: a notification is a hint, never state.
 */
export class ExecutionWatch {
  readonly #waiters = new Map<string, Set<() => void>>();
  readonly #timers: Timers;

  constructor(timers: Timers) {
    this.#timers = timers;
  }

  changed(executionId: string): void {
    const waiters = this.#waiters.get(executionId);
    if (!waiters) return;
    this.#waiters.delete(executionId);
    for (const wake of waiters) wake();
  }

  /**
   * Listens from now on: `changed` resolves on the next change of the execution, or after
   * `timeoutMs`; `stop` ends the listening early (its timer too). A waiter listens before it
   * reads the store, so a change that commits while its read is in flight still wakes it.
   */
  listen(executionId: string, timeoutMs: number): { changed: Promise<void>; stop: () => void } {
    let set = this.#waiters.get(executionId);
    if (!set) {
      set = new Set();
      this.#waiters.set(executionId, set);
    }
    const waiters = set;
    let wake: () => void = () => undefined;
    const changed = new Promise<void>((resolve) => (wake = resolve));
    const stop = (): void => {
      this.#timers.clearTimeout(timer);
      waiters.delete(done);
      if (waiters.size === 0 && this.#waiters.get(executionId) === waiters) this.#waiters.delete(executionId);
      wake();
    };
    const done = (): void => stop();
    const timer = this.#timers.setTimeout(stop, timeoutMs);
    waiters.add(done);
    return { changed, stop };
  }

  /** Releases every waiter (at shutdown). */
  releaseAll(): void {
    const all = [...this.#waiters.keys()];
    for (const id of all) this.changed(id);
  }
}
