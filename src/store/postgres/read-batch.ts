/**
 * Coalesces point reads issued in the same turn of the event loop into one statement, as
 * group commit does for writes: status reads and result long-polls of many concurrent HTTP
 * requests cost one round trip, not one each. Each read still sees everything committed
 * before it was issued, since the statement is sent after it. Keys are read once per turn
 * however many callers ask for them.
 */
export class ReadBatch<K, V> {
  readonly #readAll: (keys: K[]) => Promise<Map<K, V>>;
  readonly #isolate: (error: unknown) => boolean;
  #pending = new Map<K, { resolve: (value: V | undefined) => void; reject: (error: unknown) => void }[]>();
  #scheduled = false;

  /**
   * `readAll` returns the value of every key it found; a key it did not find reads as
   * undefined. When a batch fails with an error `isolate` accepts (default: any), each key is
   * read again on its own; an unreachable database fails every caller at once instead.
   */
  constructor(readAll: (keys: K[]) => Promise<Map<K, V>>, isolate: (error: unknown) => boolean = () => true) {
    this.#readAll = readAll;
    this.#isolate = isolate;
  }

  read(key: K): Promise<V | undefined> {
    return new Promise((resolve, reject) => {
      const waiting = this.#pending.get(key);
      if (waiting) waiting.push({ resolve, reject });
      else this.#pending.set(key, [{ resolve, reject }]);
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#scheduled = false;
    const batch = this.#pending;
    this.#pending = new Map();
    this.#readAll([...batch.keys()]).then(
      (found) => {
        for (const [key, waiting] of batch) for (const w of waiting) w.resolve(found.get(key));
      },
      (error: unknown) => {
        if (batch.size === 1 || !this.#isolate(error)) {
          for (const waiting of batch.values()) for (const w of waiting) w.reject(error);
          return;
        }
        // One key the database refuses (a NUL byte in an id) fails the whole statement: read
        // each key on its own, so only that key's callers see the error.
        for (const [key, waiting] of batch) {
          this.#readAll([key]).then(
            (found) => {
              for (const w of waiting) w.resolve(found.get(key));
            },
            (alone: unknown) => {
              for (const w of waiting) w.reject(alone);
            },
          );
        }
      },
    );
  }
}
