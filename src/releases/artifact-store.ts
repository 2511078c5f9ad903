import { createHash } from 'node:crypto';
import { CapstanError } from '../errors/catalog.ts';

/**
 * Where registered artifacts live, content-addressed: an artifact's name is the sha256 of its
 * bytes (`sha256:<hex>`), so the same bytes always land under the same name, a write can be
 * repeated by any node at any time, and a read proves itself by re-hashing. The coordinator
 * verifies at register and at activation, never per submit.
 */
export interface ArtifactStore {
  /** What the startup log says about the store: its kind and where it is (never a secret). */
  readonly description: Readonly<Record<string, string>>;
  /** Stores `bytes` under their digest and returns the digest; the same bytes again are a no-op. */
  put(bytes: Buffer): Promise<string>;
  /** Whether something is stored under `digest`; its bytes are not read (`get` checks them). */
  has(digest: string): Promise<boolean>;
  /**
   * The bytes stored under `digest`, re-hashed on the way out: undefined when nothing is stored
   * there, `artifact_verification_failed` when what is stored no longer hashes to the digest.
   */
  get(digest: string): Promise<Buffer | undefined>;
}

/** `sha256:<hex>` of `bytes`. */
export function digestOf(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** The hex part of a `sha256:<hex>` digest; anything else is a caller's bug, refused before any I/O. */
export function hexOf(digest: string): string {
  const hex = digest.replace(/^sha256:/, '');
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error(`not a sha256 digest: ${digest}`);
  return hex;
}

/** `bytes` when they hash to `digest`, else `artifact_verification_failed` naming both digests. */
export function verified(digest: string, bytes: Buffer): Buffer {
  const actual = digestOf(bytes);
  if (actual !== digest) {
    throw new CapstanError(
      'artifact_verification_failed',
      `The artifact stored as ${digest} hashes to ${actual}: it was altered after it was stored.`,
    );
  }
  return bytes;
}
