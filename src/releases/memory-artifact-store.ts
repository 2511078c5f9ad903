import { digestOf, verified, type ArtifactStore } from './artifact-store.ts';

/**
 * Artifacts held in memory for the life of a process: what a worker fetched from its coordinator
 * when its own store lacked them. Verified on the way out, like every store.
 */
export class MemoryArtifactStore implements ArtifactStore {
  readonly description: Readonly<Record<string, string>>;
  readonly #bytes = new Map<string, Buffer>();

  constructor(description: Readonly<Record<string, string>>) {
    this.description = description;
  }

  async put(bytes: Buffer): Promise<string> {
    const digest = digestOf(bytes);
    this.#bytes.set(digest, bytes);
    return digest;
  }

  async has(digest: string): Promise<boolean> {
    return this.#bytes.has(digest);
  }

  async get(digest: string): Promise<Buffer | undefined> {
    const bytes = this.#bytes.get(digest);
    return bytes && verified(digest, bytes);
  }
}
