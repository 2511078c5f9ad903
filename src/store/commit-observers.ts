/** Told after each group-commit transaction: how long it took and how many commands it held. */
export type CommitObserver = (seconds: number, commands: number) => void;

/**
 * Who watches a store's commits (each coordinator's metrics). On the hot path a commit costs one
 * clock read and, with nobody watching, nothing more; watchers must be as cheap (a histogram
 * observe).
 */
export class CommitObservers {
  readonly #observers = new Set<CommitObserver>();

  add(observer: CommitObserver): () => void {
    this.#observers.add(observer);
    return () => void this.#observers.delete(observer);
  }

  /** The start instant to hand to `committed`, in fractional ms. */
  start(): number {
    return this.#observers.size === 0 ? 0 : performance.now();
  }

  committed(startedAt: number, commands: number): void {
    if (this.#observers.size === 0) return;
    const seconds = (performance.now() - startedAt) / 1000;
    for (const observer of this.#observers) observer(seconds, commands);
  }
}
