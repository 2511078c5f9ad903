import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import S3rver from 's3rver';

/**
 * s3rver's one account. It checks that a request names this key id and does not check SigV4
 * signatures, so the secret only has to be present. Tests always pass credentials: the SDK's
 * default chain would otherwise go looking for an instance role off this machine.
 */
export const S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;
export const S3_REGION = 'us-east-1';

export interface S3TestServer {
  /** `http://127.0.0.1:<port>`: path-style addressing only. */
  readonly endpoint: string;
  /** A client of the test's own, to look at and tamper with what the code under test stored. */
  readonly client: S3Client;
  /** Objects written so far (PUTs that reached the server), by key. */
  writesOf(key: string): number;
  /** A bucket of the test's own, named at random; emptied and removed when the test ends. */
  freshBucket(): Promise<string>;
  /** The environment that points a coordinator's or worker's artifact store at `bucket` here. */
  storageEnv(bucket: string, prefix: string): Record<string, string>;
  /** Stops answering, as an outage would; `start()` brings it back on the same port and data. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

/**
 * A real S3-compatible server (s3rver, in this process) on a free loopback port, with its data
 * in a temporary folder; stopped and deleted when the test ends.
 */
export async function startS3Server(t: TestContext): Promise<S3TestServer> {
  const directory = mkdtempSync(join(tmpdir(), 'capstan-s3-'));
  const writes = new Map<string, number>();
  let port = 0;
  let server: S3rver | undefined;
  const start = async (): Promise<void> => {
    const next = new S3rver({ address: '127.0.0.1', port, silent: true, directory, vhostBuckets: false });
    next.on('event', (event) => {
      for (const record of event.Records) {
        if (!record.eventName.startsWith('ObjectCreated:')) continue;
        const key = decodeURIComponent(record.s3.object.key);
        writes.set(key, (writes.get(key) ?? 0) + 1);
      }
    });
    port = (await next.run()).port;
    server = next;
  };
  const stop = async (): Promise<void> => {
    const running = server;
    server = undefined;
    await running?.close();
  };
  await start();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    region: S3_REGION,
    endpoint,
    forcePathStyle: true,
    credentials: S3_CREDENTIALS,
  });
  const buckets: string[] = [];
  const freshBucket = async (): Promise<string> => {
    const bucket = `capstan-test-${randomBytes(6).toString('hex')}`;
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    buckets.push(bucket);
    return bucket;
  };
  t.after(async () => {
    // Removed through the API while the server runs; a server the test left stopped takes its
    // buckets with its folder.
    if (server) for (const bucket of buckets) await removeBucket(client, bucket);
    client.destroy();
    await stop();
    rmSync(directory, { recursive: true, force: true });
  });
  const storageEnv = (bucket: string, prefix: string): Record<string, string> => ({
    PIPELINE_ORCHESTRATOR_RELEASES_STORAGE_PROVIDER: 's3',
    PIPELINE_ORCHESTRATOR_RELEASES_STORAGE_S3_BUCKET: bucket,
    PIPELINE_ORCHESTRATOR_RELEASES_STORAGE_S3_PREFIX: prefix,
    PIPELINE_ORCHESTRATOR_RELEASES_STORAGE_S3_REGION: S3_REGION,
    PIPELINE_ORCHESTRATOR_RELEASES_STORAGE_S3_ENDPOINT: endpoint,
    PIPELINE_ORCHESTRATOR_RELEASES_STORAGE_S3_PATH_STYLE: 'true',
    PIPELINE_ORCHESTRATOR_RELEASES_STORAGE_S3_ACCESS_KEY_ID_REF: 'env:TEST_S3_KEY_ID',
    PIPELINE_ORCHESTRATOR_RELEASES_STORAGE_S3_SECRET_ACCESS_KEY_REF: 'env:TEST_S3_SECRET',
    TEST_S3_KEY_ID: S3_CREDENTIALS.accessKeyId,
    TEST_S3_SECRET: S3_CREDENTIALS.secretAccessKey,
  });
  return {
    endpoint,
    client,
    writesOf: (key) => writes.get(key) ?? 0,
    freshBucket,
    storageEnv,
    stop,
    start,
  };
}

async function removeBucket(client: S3Client, bucket: string): Promise<void> {
  const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
  for (const { Key } of listed.Contents ?? [])
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key }));
  await client.send(new DeleteBucketCommand({ Bucket: bucket }));
}
