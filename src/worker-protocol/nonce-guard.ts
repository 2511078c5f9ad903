/**
 * Refuses a nonce seen before. A signed request is only accepted while its timestamp is
 * within the tolerance, so a nonce need only be kept until `timestamp + tolerance`: after
 * that the timestamp check refuses the replay anyway. The cache is bounded; when it is full
 * of unexpired nonces new requests are refused (fail closed) rather than old nonces
 * forgotten, since forgetting one would let its request be replayed.
 */
export class NonceGuard {
  readonly #expiresAtMs = new Map<string, number>();
  readonly #capacity: number;
  #admitted = 0;

  constructor(capacity = 100_000) {
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#expiresAtMs.size;
  }

  /**
   * Records the nonce until `expiresAtMs`. 'replayed' when it is already recorded, 'full' when
   * no room is left, 'fresh' otherwise.
   */
  admit(nonce: string, expiresAtMs: number, nowMs: number): 'fresh' | 'replayed' | 'full' {
    const known = this.#expiresAtMs.get(nonce);
    if (known !== undefined && known >= nowMs) return 'replayed';
    // Expired nonces go now and then, and whenever the cache is full.
    if (++this.#admitted % 1024 === 0 || this.#expiresAtMs.size >= this.#capacity) this.#purge(nowMs);
    if (this.#expiresAtMs.size >= this.#capacity) return 'full';
    this.#expiresAtMs.set(nonce, expiresAtMs);
    return 'fresh';
  }

  #purge(nowMs: number): void {
    for (const [nonce, expiresAtMs] of this.#expiresAtMs) {
      if (expiresAtMs < nowMs) this.#expiresAtMs.delete(nonce);
    }
  }
}
