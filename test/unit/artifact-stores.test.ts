import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { DeleteObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { CapstanError } from '../../src/errors/catalog.ts';
import { digestOf, hexOf, type ArtifactStore } from '../../src/releases/artifact-store.ts';
import { LocalArtifactStore } from '../../src/releases/local-artifact-store.ts';
import { S3ArtifactStore } from '../../src/releases/s3-artifact-store.ts';
import { startS3Server } from '../support/s3-server.ts';

/** A store under test, and the back door a person with access to its storage would use. */
interface Subject {
  readonly store: ArtifactStore;
  readonly overwrite: (digest: string, bytes: Buffer) => Promise<void>;
  readonly remove: (digest: string) => Promise<void>;
}

const subjects: Record<string, (t: TestContext) => Promise<Subject>> = {
  local: async (t) => {
    const root = mkdtempSync(join(tmpdir(), 'capstan-artifacts-'));
    t.after(() => rmSync(root, { recursive: true, force: true }));
    const store = new LocalArtifactStore(root);
    return {
      store,
      overwrite: async (digest, bytes) => writeFileSync(store.pathOf(digest), bytes),
      remove: async (digest) => rmSync(store.pathOf(digest)),
    };
  },
  s3: async (t) => {
    const s3 = await startS3Server(t);
    const Bucket = await s3.freshBucket();
    const store = new S3ArtifactStore({ client: s3.client, bucket: Bucket, prefix: 'tpf/releases' });
    return {
      store,
      overwrite: async (digest, bytes) => {
        await s3.client.send(new PutObjectCommand({ Bucket, Key: store.keyOf(digest), Body: bytes }));
      },
      remove: async (digest) => {
        await s3.client.send(new DeleteObjectCommand({ Bucket, Key: store.keyOf(digest) }));
      },
    };
  },
};

const isCode = (code: string) => (error: unknown) => error instanceof CapstanError && error.code === code;

for (const [name, open] of Object.entries(subjects)) {
  test(`${name} artifact store: put returns the digest; has and get find the bytes by it; put is idempotent`, async (t) => {
    const { store } = await open(t);
    const bytes = randomBytes(4096);
    const digest = await store.put(bytes);
    assert.equal(digest, digestOf(bytes));
    assert.match(digest, /^sha256:[0-9a-f]{64}$/);
    assert.equal(await store.has(digest), true);
    assert.deepEqual(await store.get(digest), bytes);

    assert.equal(await store.put(Buffer.from(bytes)), digest, 'the same bytes again: the same digest');
    assert.deepEqual(await store.get(digest), bytes);
    const other = await store.put(Buffer.from('another artifact'));
    assert.notEqual(other, digest);
    assert.equal((await store.get(other))?.toString(), 'another artifact');
    assert.deepEqual(await store.get(digest), bytes, 'one artifact does not disturb another');
    await assert.rejects(store.has('sha256:not-hex'), /not a sha256 digest/);
  });

  test(`${name} artifact store: altered bytes fail artifact_verification_failed; a missing artifact is absent`, async (t) => {
    const { store, overwrite, remove } = await open(t);
    const digest = await store.put(Buffer.from('the real artifact'));
    await overwrite(digest, Buffer.from('the real artifact, altered'));
    assert.equal(await store.has(digest), true, 'has looks at presence only');
    await assert.rejects(store.get(digest), (error: unknown) => {
      assert.ok(isCode('artifact_verification_failed')(error));
      assert.match((error as Error).message, new RegExp(`${digest} hashes to sha256:[0-9a-f]{64}`));
      return true;
    });
    await remove(digest);
    assert.equal(await store.has(digest), false);
    assert.equal(await store.get(digest), undefined);
    const never = digestOf(Buffer.from('never stored'));
    assert.equal(await store.has(never), false);
    assert.equal(await store.get(never), undefined);
  });
}

test('s3 artifact store: objects are <prefix>/sha256/<hex> with sha256 metadata; a repeated put uploads nothing', async (t) => {
  const s3 = await startS3Server(t);
  const Bucket = await s3.freshBucket();
  const bytes = Buffer.from('layout');
  const hex = hexOf(digestOf(bytes));
  for (const [prefix, key] of [
    ['tpf/releases', `tpf/releases/sha256/${hex}`],
    ['/a//b/', `a/b/sha256/${hex}`],
    ['', `sha256/${hex}`],
  ] as const) {
    const store = new S3ArtifactStore({ client: s3.client, bucket: Bucket, prefix });
    await store.put(bytes);
    await store.put(bytes);
    assert.equal(s3.writesOf(key), 1, `${key}: written once`);
    const head = await s3.client.send(new HeadObjectCommand({ Bucket, Key: key }));
    assert.equal(head.ContentLength, bytes.length);
    assert.equal(head.Metadata?.sha256, hex);
  }

  // An object of another length under the key can only be damaged: put writes the right bytes.
  const store = new S3ArtifactStore({ client: s3.client, bucket: Bucket, prefix: 'tpf/releases' });
  const key = store.keyOf(digestOf(bytes));
  await s3.client.send(new PutObjectCommand({ Bucket, Key: key, Body: Buffer.from('trunc') }));
  await assert.rejects(store.get(digestOf(bytes)), isCode('artifact_verification_failed'));
  await store.put(bytes);
  assert.deepEqual(await store.get(digestOf(bytes)), bytes);
});

test('s3 artifact store: an unreachable server or a missing bucket is artifact_store_unavailable, never "absent"', async (t) => {
  const s3 = await startS3Server(t);
  const bucket = await s3.freshBucket();
  const store = new S3ArtifactStore({ client: s3.client, bucket, prefix: 'p' });
  const digest = await store.put(Buffer.from('kept'));

  const unavailable = (error: unknown): boolean => {
    assert.ok(isCode('artifact_store_unavailable')(error), String(error));
    assert.equal((error as CapstanError).status, 503);
    assert.match((error as Error).message, new RegExp(`S3 bucket ${bucket}`));
    return true;
  };
  await s3.stop();
  await assert.rejects(store.put(Buffer.from('new')), unavailable);
  await assert.rejects(store.get(digest), unavailable);
  await assert.rejects(store.has(digest), unavailable);
  await s3.start();
  assert.equal((await store.get(digest))?.toString(), 'kept', 'back once the server answers again');

  const elsewhere = new S3ArtifactStore({ client: s3.client, bucket: 'no-such-bucket-here', prefix: 'p' });
  await assert.rejects(elsewhere.get(digest), (error: unknown) => {
    assert.ok(isCode('artifact_store_unavailable')(error), String(error));
    assert.match((error as Error).message, /NoSuchBucket/);
    return true;
  });
  await assert.rejects(elsewhere.put(Buffer.from('x')), isCode('artifact_store_unavailable'));
});
