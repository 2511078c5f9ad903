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

  /** Resolves on the next change of the execution, or after `timeoutMs`. */
  next(executionId: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      let set = this.#waiters.get(executionId);
      if (!set) {
        set = new Set();
        this.#waiters.set(executionId, set);
      }
      const waiters = set;
      const wake = (): void => {
        this.#timers.clearTimeout(timer);
        waiters.delete(wake);
        resolve();
      };
      const timer = this.#timers.setTimeout(() => {
        waiters.delete(wake);
        if (waiters.size === 0 && this.#waiters.get(executionId) === waiters)
          this.#waiters.delete(executionId);
        resolve();
      }, timeoutMs);
      waiters.add(wake);
    });
  }

  /** Releases every waiter (at shutdown). */
  releaseAll(): void {
    const all = [...this.#waiters.keys()];
    for (const id of all) this.changed(id);
  }
}
