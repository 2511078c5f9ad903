import type { Clock } from '../runtime/clock.ts';
import type { ReleaseRecord } from '../store/records.ts';

export interface ActiveReleaseCacheOptions {
  readonly clock: Clock;
  /**
   * How long an answer is trusted. Activation on this node invalidates at once and peers are
   * told by a store signal; the TTL bounds how stale a node can be when that signal is lost.
   */
  readonly ttlMs: number;
  /** How many pipelines with no active release are remembered (oldest forgotten first). */
  readonly maxMisses: number;
}

interface Entry {
  readonly release: ReleaseRecord | undefined;
  readonly atMs: number;
}

/**
 * The active release per (tenant, pipeline), read through from the store. Three bounds on
 * staleness and size: a read stores its answer only when no invalidation happened since it
 * started (else an activation that landed during the read would be overwritten by the old
 * answer, for good); an answer expires after `ttlMs`; and misses (pipelines nobody activated,
 * any name a client sends) are kept to `maxMisses`, least recently used first out.
 */
export class ActiveReleaseCache {
  readonly #o: ActiveReleaseCacheOptions;
  readonly #hits = new Map<string, Entry>();
  readonly #misses = new Map<string, Entry>();
  /** Bumped by every invalidation: a read that saw it move stores nothing. */
  #generation = 0;

  constructor(options: ActiveReleaseCacheOptions) {
    this.#o = options;
  }

  async get(
    tenantId: string,
    pipelineId: string,
    read: () => Promise<ReleaseRecord | undefined>,
  ): Promise<ReleaseRecord | undefined> {
    const key = `${tenantId}\u0000${pipelineId}`;
    const cached = this.#fresh(key);
    if (cached) return cached.release;
    const generation = this.#generation;
    const release = await read();
    if (generation === this.#generation) this.#store(key, { release, atMs: this.#o.clock.now() });
    return release;
  }

  invalidate(tenantId: string, pipelineId: string): void {
    const key = `${tenantId}\u0000${pipelineId}`;
    this.#generation++;
    this.#hits.delete(key);
    this.#misses.delete(key);
  }

  invalidateAll(): void {
    this.#generation++;
    this.#hits.clear();
    this.#misses.clear();
  }

  /** Remembered misses, for tests of the bound. */
  get misses(): number {
    return this.#misses.size;
  }

  #fresh(key: string): Entry | undefined {
    const entry = this.#hits.get(key) ?? this.#misses.get(key);
    if (!entry) return undefined;
    if (this.#o.clock.now() - entry.atMs >= this.#o.ttlMs) {
      this.#hits.delete(key);
      this.#misses.delete(key);
      return undefined;
    }
    if (!entry.release) {
      // Most recently used last, so eviction takes the least recently used.
      this.#misses.delete(key);
      this.#misses.set(key, entry);
    }
    return entry;
  }

  #store(key: string, entry: Entry): void {
    if (entry.release) {
      this.#misses.delete(key);
      this.#hits.set(key, entry);
      return;
    }
    this.#hits.delete(key);
    this.#misses.delete(key);
    this.#misses.set(key, entry);
    for (const oldest of this.#misses.keys()) {
      if (this.#misses.size <= this.#o.maxMisses) break;
      this.#misses.delete(oldest);
    }
  }
}
