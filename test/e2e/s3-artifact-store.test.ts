import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { DeleteObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import restaurant from '../../examples/restaurant-approval/pipeline.ts';
import { deterministicTgz } from '../../src/releases/artifact-bundle.ts';
import { buildRelease, writeRelease, type BuiltRelease } from '../../src/releases/build-release.ts';
import { eventually, freshSchema, RESTAURANT_PIPELINE, startNode } from '../support/cluster.ts';
import { ADMIN_TOKEN, apiClient } from '../support/coordinator-process.ts';
import { postgresUrl } from '../support/postgres-server.ts';
import { S3_CREDENTIALS, startS3Server } from '../support/s3-server.ts';

// Two coordinator nodes on one PostgreSQL schema and one S3 bucket: what one registers, the
// other activates, fetching the artifact from the bucket and re-hashing it.

const ROOT = resolve(import.meta.dirname, '../..');
const PREFIX = 'capstan/releases';
const releases = '/tpf/admin/tenants/default/pipelines/restaurant-approval/releases';
const keyOf = (digest: string) => `${PREFIX}/sha256/${digest.replace('sha256:', '')}`;
const inline = (built: BuiltRelease) => ({
  descriptor: built.descriptor,
  artifacts: [{ uri: built.artifactFileName, contentBase64: built.artifact.toString('base64') }],
});

test('nodes share artifacts through S3: registered on A, verified from the bucket and activated on B', async (t) => {
  const url = await postgresUrl();
  const schema = freshSchema(t, url);
  const s3 = await startS3Server(t);
  const Bucket = await s3.freshBucket();
  const env = s3.storageEnv(Bucket, PREFIX);
  const a = await startNode(t, { url, schema, nodeId: 'node-a', env });
  const b = await startNode(t, { url, schema, nodeId: 'node-b', env });
  const adminA = apiClient(a.baseUrl, ADMIN_TOKEN);
  const adminB = apiClient(b.baseUrl, ADMIN_TOKEN);
  const says = `"artifactStore":"s3","bucket":"${Bucket}","prefix":"${PREFIX}"`;
  await eventually('the ready line to name the bucket', async () =>
    b.output().includes(says) ? true : undefined,
  );

  // Both nodes host the example and stored its artifact at start: one object, written once.
  const v1 = (await adminB.call('GET', `${releases}/active`)).body;
  assert.equal(v1.status, 'ACTIVE');
  assert.equal(s3.writesOf(keyOf(v1.primaryArtifactDigest)), 1, 'the second node found it already there');

  // v2 uploaded to A as a release folder (.tgz): its artifact lands in the bucket.
  const folder = mkdtempSync(join(tmpdir(), 'capstan-s3-release-'));
  t.after(() => rmSync(folder, { recursive: true, force: true }));
  const v2 = await buildRelease(restaurant, { sourceFile: RESTAURANT_PIPELINE, releaseVersion: 'v2' });
  await writeRelease(v2, folder);
  const tgz = await deterministicTgz(
    readdirSync(folder).map((name) => ({ name, content: readFileSync(join(folder, name)) })),
  );
  const registered = await adminA.call('POST', `${releases}/register`, tgz, {
    'content-type': 'application/gzip',
  });
  assert.equal(registered.status, 200, JSON.stringify(registered.body));
  const v2Key = keyOf(registered.body.primaryArtifactDigest);
  const head = await s3.client.send(new HeadObjectCommand({ Bucket, Key: v2Key }));
  assert.equal(head.ContentLength, v2.artifact.length);
  for (const node of [a, b])
    assert.equal(existsSync(join(node.dataDir, 'artifacts')), false, 'nothing is kept on a node disk');

  // B activates it: B has never seen v2's bytes but from the bucket. A sees the activation too.
  const activated = await adminB.call('POST', `${releases}/v2/activate`);
  assert.equal(activated.status, 200, JSON.stringify(activated.body));
  assert.equal(activated.body.status, 'ACTIVE');
  assert.equal((await adminA.call('GET', `${releases}/active`)).body.releaseVersion, 'v2');

  // v3 inline on A, then altered in the bucket: B refuses to activate it; removed: refused too.
  const v3 = await buildRelease(restaurant, { releaseVersion: 'v3' });
  assert.equal((await adminA.call('POST', `${releases}/register`, inline(v3))).status, 200);
  const v3Key = keyOf(v3.descriptor.artifacts[0]?.digest ?? '');
  await s3.client.send(new PutObjectCommand({ Bucket, Key: v3Key, Body: Buffer.from('altered in S3') }));
  const altered = await adminB.call('POST', `${releases}/v3/activate`);
  assert.equal(altered.status, 409);
  assert.equal(altered.body.error.code, 'artifact_verification_failed');
  assert.match(altered.body.error.message, /no longer matches its digest/);
  await s3.client.send(new DeleteObjectCommand({ Bucket, Key: v3Key }));
  const missing = await adminB.call('POST', `${releases}/v3/activate`);
  assert.equal(missing.status, 409);
  assert.match(missing.body.error.message, /missing from the artifact store/);
  assert.equal((await adminA.call('GET', `${releases}/active`)).body.releaseVersion, 'v2', 'still v2');

  // S3 down: registration and activation answer 503 and change nothing; back up, both work.
  await s3.stop();
  const v4 = await buildRelease(restaurant, { releaseVersion: 'v4' });
  const down = await adminA.call('POST', `${releases}/register`, inline(v4));
  assert.equal(down.status, 503, JSON.stringify(down.body));
  assert.equal(down.body.error.code, 'artifact_store_unavailable');
  assert.equal(
    (await adminA.call('GET', `${releases}/v4`)).status,
    404,
    'a refused registration wrote nothing',
  );
  const downActivate = await adminB.call('POST', `${releases}/${v1.releaseVersion}/activate`);
  assert.equal(downActivate.status, 503);
  assert.equal(downActivate.body.error.code, 'artifact_store_unavailable');
  await s3.start();
  assert.equal((await adminA.call('POST', `${releases}/register`, inline(v4))).status, 200);
  assert.equal((await adminB.call('POST', `${releases}/v4/activate`)).status, 200);
  const history = (await adminA.call('GET', `${releases}/activations`)).body as { releaseVersion: string }[];
  assert.deepEqual(
    history.map((x) => x.releaseVersion),
    [v1.releaseVersion, 'v2', 'v4'],
  );
});

test('serve exits 7 naming the bucket when the S3 artifact store cannot be reached at start', async (t) => {
  const s3 = await startS3Server(t);
  const bucket = await s3.freshBucket();
  await s3.stop();
  const dataDir = mkdtempSync(join(tmpdir(), 'capstan-s3-down-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const serve = spawnSync(
    process.execPath,
    ['bin/capstan.mjs', 'serve', '--port', '0', '--data-dir', dataDir, '--pipelines', RESTAURANT_PIPELINE],
    {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
      env: {
        ...process.env,
        PIPELINE_ORCHESTRATOR_RELEASES_STORAGE_PROVIDER: 's3',
        PIPELINE_ORCHESTRATOR_RELEASES_STORAGE_S3_BUCKET: bucket,
        PIPELINE_ORCHESTRATOR_RELEASES_STORAGE_S3_REGION: 'us-east-1',
        PIPELINE_ORCHESTRATOR_RELEASES_STORAGE_S3_ENDPOINT: s3.endpoint,
        PIPELINE_ORCHESTRATOR_RELEASES_STORAGE_S3_PATH_STYLE: 'true',
        PIPELINE_ORCHESTRATOR_RELEASES_STORAGE_S3_ACCESS_KEY_ID_REF: 'env:TEST_S3_KEY_ID',
        PIPELINE_ORCHESTRATOR_RELEASES_STORAGE_S3_SECRET_ACCESS_KEY_REF: 'env:TEST_S3_SECRET',
        TEST_S3_KEY_ID: S3_CREDENTIALS.accessKeyId,
        TEST_S3_SECRET: 'secret-do-not-print',
      },
    },
  );
  assert.equal(serve.status, 7, serve.stderr);
  assert.match(
    serve.stderr,
    new RegExp(`error artifact_store_unavailable: .*S3 bucket ${bucket}.*ECONNREFUSED`),
  );
  assert.doesNotMatch(serve.stderr, /do-not-print/);
});
