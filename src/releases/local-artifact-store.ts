import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Content-addressed artifacts on the local filesystem: `<root>/sha256/<hex>`. Writing the same
 * bytes twice is a no-op; a file is renamed into place only once complete.
 */
export class LocalArtifactStore {
  readonly #root: string;

  constructor(root: string) {
    this.#root = root;
  }

  pathOf(digest: string): string {
    const hex = digest.replace(/^sha256:/, '');
    if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error(`not a sha256 digest: ${digest}`);
    return join(this.#root, 'sha256', hex);
  }

  async put(bytes: Buffer): Promise<string> {
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    const path = this.pathOf(digest);
    try {
      await stat(path);
      return digest;
    } catch {
      await mkdir(join(this.#root, 'sha256'), { recursive: true });
      const temp = `${path}.${process.pid}.tmp`;
      await writeFile(temp, bytes);
      await rename(temp, path);
      return digest;
    }
  }

  /** True when the stored bytes still hash to their digest. */
  async verify(digest: string): Promise<boolean> {
    try {
      const bytes = await readFile(this.pathOf(digest));
      return `sha256:${createHash('sha256').update(bytes).digest('hex')}` === digest;
    } catch {
      return false;
    }
  }
}
