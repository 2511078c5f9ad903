import { chmod, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makePrivateDirAsync, PRIVATE_FILE_MODE } from '../util/private-files.ts';
import { digestOf, hexOf, verified, type ArtifactStore } from './artifact-store.ts';

const isMissing = (error: unknown): boolean => (error as { code?: unknown }).code === 'ENOENT';

/**
 * Content-addressed artifacts on the local filesystem: `<root>/sha256/<hex>`. Writing the same
 * bytes twice is a no-op; a file is renamed into place only once complete, so a reader never
 * sees half an artifact. Directories it makes are 0700 and artifacts 0600, for its owner only.
 * One node's disk: nodes of a cluster share artifacts through S3 instead.
 */
export class LocalArtifactStore implements ArtifactStore {
  readonly #root: string;
  readonly description: Readonly<Record<string, string>>;

  constructor(root: string) {
    this.#root = root;
    this.description = { artifactStore: 'local', artifactRoot: root };
  }

  pathOf(digest: string): string {
    return join(this.#root, 'sha256', hexOf(digest));
  }

  async put(bytes: Buffer): Promise<string> {
    const digest = digestOf(bytes);
    if (await this.has(digest)) return digest;
    const path = this.pathOf(digest);
    await makePrivateDirAsync(this.#root);
    await makePrivateDirAsync(join(this.#root, 'sha256'));
    const temp = `${path}.${process.pid}.tmp`;
    await writeFile(temp, bytes, { mode: PRIVATE_FILE_MODE });
    await chmod(temp, PRIVATE_FILE_MODE);
    await rename(temp, path);
    return digest;
  }

  async has(digest: string): Promise<boolean> {
    try {
      await stat(this.pathOf(digest));
      return true;
    } catch (error) {
      if (isMissing(error)) return false;
      throw error;
    }
  }

  async get(digest: string): Promise<Buffer | undefined> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.pathOf(digest));
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
    return verified(digest, bytes);
  }
}
