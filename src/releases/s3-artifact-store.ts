import {
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type HeadObjectCommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { CapstanError } from '../errors/catalog.ts';
import { digestOf, hexOf, verified, type ArtifactStore } from './artifact-store.ts';

/**
 * S3's "no such object": `NoSuchKey` from GET, a bodiless 404 (`NotFound`) from HEAD. A HEAD
 * cannot tell a missing bucket from a missing object, so `has` says false there; `put` and `get`
 * then meet `NoSuchBucket` and report the store unavailable.
 */
const isMissingObject = (error: unknown): boolean => {
  const name = (error as { name?: unknown }).name;
  return name === 'NoSuchKey' || name === 'NotFound';
};

/**
 * Content-addressed artifacts in an S3-compatible bucket (AWS S3, MinIO, …): the object
 * `<prefix>/sha256/<hex>` holds the bytes whose sha256 is `<hex>`, with that hex also in the
 * object's `sha256` metadata (as TPF writes it). Every node configured with the same bucket sees
 * every artifact any of them stored, so a release registered on one node activates on another.
 *
 * Writes are idempotent: the key is the content's hash, so concurrent or repeated writes of it
 * put the same bytes. Reads trust nothing: the bytes are re-hashed before they are returned.
 * Whatever S3 answers other than "no such object" (unreachable, no such bucket, access denied)
 * is `artifact_store_unavailable`: nothing could be checked, so nothing is decided.
 */
export class S3ArtifactStore implements ArtifactStore {
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;
  readonly description: Readonly<Record<string, string>>;

  constructor(options: { client: S3Client; bucket: string; prefix: string }) {
    this.#client = options.client;
    this.#bucket = options.bucket;
    // `tpf/releases`, `/tpf/releases/` and `tpf//releases` all name the same folder.
    this.#prefix = options.prefix.split('/').filter(Boolean).join('/');
    this.description = { artifactStore: 's3', bucket: this.#bucket, prefix: this.#prefix };
  }

  keyOf(digest: string): string {
    const key = `sha256/${hexOf(digest)}`;
    return this.#prefix ? `${this.#prefix}/${key}` : key;
  }

  async put(bytes: Buffer): Promise<string> {
    const digest = digestOf(bytes);
    const Key = this.keyOf(digest);
    // Same key, same length: the same bytes, so there is nothing to upload again. Another length
    // can only be a damaged object, and writing the right bytes over it is always safe.
    const existing = await this.#head(Key);
    if (existing?.ContentLength === bytes.length) return digest;
    await this.#call(`storing ${digest}`, () =>
      this.#client.send(
        new PutObjectCommand({
          Bucket: this.#bucket,
          Key,
          Body: bytes,
          ContentLength: bytes.length,
          ContentType: 'application/octet-stream',
          Metadata: { sha256: hexOf(digest) },
        }),
      ),
    );
    return digest;
  }

  async has(digest: string): Promise<boolean> {
    return (await this.#head(this.keyOf(digest))) !== undefined;
  }

  async get(digest: string): Promise<Buffer | undefined> {
    const Key = this.keyOf(digest);
    const bytes = await this.#call(`reading ${digest}`, async () => {
      try {
        const object = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key }));
        if (!object.Body) return Buffer.alloc(0);
        return Buffer.from(await object.Body.transformToByteArray());
      } catch (error) {
        if (isMissingObject(error)) return undefined;
        throw error;
      }
    });
    return bytes === undefined ? undefined : verified(digest, bytes);
  }

  async #head(Key: string): Promise<HeadObjectCommandOutput | undefined> {
    return this.#call(`looking up ${Key}`, async () => {
      try {
        return await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key }));
      } catch (error) {
        if (isMissingObject(error)) return undefined;
        throw error;
      }
    });
  }

  /** Runs one S3 exchange; any failure it lets through becomes `artifact_store_unavailable`. */
  async #call<T>(what: string, exchange: () => Promise<T>): Promise<T> {
    try {
      return await exchange();
    } catch (error) {
      const name = (error as { name?: unknown }).name;
      const reason = error instanceof Error ? error.message || String(name) : String(error);
      throw new CapstanError(
        'artifact_store_unavailable',
        `The artifact store (S3 bucket ${this.#bucket}) could not finish ${what}: ${String(name)}: ${reason}`,
        undefined,
        { cause: error },
      );
    }
  }
}
