/**
 * The secrets one side of the worker protocol knows, by key id. A request names its key in
 * `X-Capstan-Worker-Key-Id`; no header means the default key, which is what TPF clients send.
 * The signer uses one key; the verifier accepts any key it holds, so a rotation is: give the
 * workers the new key beside the old, switch the coordinators' signing key, drop the old key.
 * A response is signed with the key its request used.
 */
export class KeyRing {
  readonly #keys: ReadonlyMap<string, string>;
  readonly #defaultSecret: string | undefined;
  readonly #signingKeyId: string | undefined;

  constructor(options: {
    /** The key used when no key id is given (`…worker.rest.shared-secret-ref`). */
    defaultSecret?: string | undefined;
    /** More keys by id (`…worker.rest.secret-refs`). */
    keys?: ReadonlyMap<string, string> | Readonly<Record<string, string>>;
    /** The key this side signs requests with; the default key when unset. */
    signingKeyId?: string | undefined;
  }) {
    const keys = options.keys ?? {};
    this.#keys = keys instanceof Map ? new Map(keys) : new Map(Object.entries(keys));
    this.#defaultSecret = options.defaultSecret || undefined;
    this.#signingKeyId = options.signingKeyId || undefined;
    for (const [id, secret] of this.#keys) {
      if (!/^[A-Za-z0-9._-]{1,64}$/.test(id))
        throw new Error(`key id '${id}' must match [A-Za-z0-9._-]{1,64}`);
      if (!secret) throw new Error(`key '${id}' has an empty secret`);
    }
    if (this.#signingKeyId !== undefined && !this.#keys.has(this.#signingKeyId))
      throw new Error(`the signing key id '${this.#signingKeyId}' names no configured key`);
  }

  /** Whether requests can be signed: the signing key (or the default one) is configured. */
  get canSign(): boolean {
    return this.secretFor(this.#signingKeyId) !== undefined;
  }

  /** The secret a key id names (undefined: the default key), if this side holds it. */
  secretFor(keyId: string | undefined): string | undefined {
    return keyId === undefined ? this.#defaultSecret : this.#keys.get(keyId);
  }

  /** The key requests are signed with; `keyId` undefined means "send no key id header". */
  signingKey(): { keyId: string | undefined; secret: string } {
    const secret = this.secretFor(this.#signingKeyId);
    if (secret === undefined) throw new Error('no secret to sign with: configure a shared secret');
    return { keyId: this.#signingKeyId, secret };
  }
}
