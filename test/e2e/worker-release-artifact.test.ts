/**
 * `capstan worker --release` / `--artifact-digest`: a worker that hosts a registered release
 * fetches its artifact from the artifact store the coordinator uses (a real S3 server, or the
 * local folder), verifies it and runs it; an altered or missing artifact stops it at start.
 * (A `--release` worker on the local store also runs in remote-release-pinning.test.ts.)
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import restaurant from '../../examples/restaurant-approval/pipeline.ts';
import { buildRelease } from '../../src/releases/build-release.ts';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { LocalArtifactStore } from '../../src/releases/local-artifact-store.ts';
import { digestOf } from '../../src/releases/artifact-store.ts';
import { ADMIN_TOKEN, apiClient, startCoordinatorProcess } from '../support/coordinator-process.ts';
import { newOrder } from '../support/restaurant-order.ts';
import { startS3Server } from '../support/s3-server.ts';
import {
  remoteCoordinatorEnv,
  startWorkerProcess,
  WORKER_TOKEN,
  workerRefusal,
} from '../support/worker-process.ts';
import { ranOn, waitForWorkerState } from '../support/worker-routing.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const RESTAURANT = join(ROOT, 'examples/restaurant-approval/pipeline.ts');
const RELEASES = '/tpf/admin/tenants/default/pipelines/restaurant-approval/releases';
const PREFIX = 'capstan/releases';

test('S3: the coordinator registers the artifact, a worker fetches it by digest and runs the execution; altered or missing, the worker refuses to start', async (t) => {
  const s3 = await startS3Server(t);
  const Bucket = await s3.freshBucket();
  // The same storage settings on both sides, as an operator would share them.
  const storage = s3.storageEnv(Bucket, PREFIX);
  const coordinator = await startCoordinatorProcess(t, {
    pipelines: [RESTAURANT],
    env: remoteCoordinatorEnv(storage),
  });
  const api = apiClient(coordinator.baseUrl);
  const active = (await apiClient(coordinator.baseUrl, ADMIN_TOKEN).call('GET', `${RELEASES}/active`)).body;
  const digest = active.primaryArtifactDigest as string;

  // By digest alone: the worker names the release as an unnamed build is named, the coordinator's name.
  const worker = await startWorkerProcess(t, {
    args: ['--artifact-digest', digest],
    coordinatorUrl: coordinator.baseUrl,
    nodeId: 'from-s3',
    env: storage,
  });
  assert.match(worker.output(), /"artifactStore":"s3".*"msg":"release artifact fetched and verified"/);
  const listed = await waitForWorkerState(coordinator, 'from-s3', 'HEALTHY');
  assert.deepEqual([listed.releaseVersion, listed.artifactDigest], [active.releaseVersion, digest]);

  // By release name, looked up on the coordinator with the worker token: an unknown one is 404
  // (run meanwhile, to save the time of one process start).
  const byName = { coordinatorUrl: coordinator.baseUrl, env: storage };
  const unknownRefusal = workerRefusal({ ...byName, args: ['--release', 'restaurant-approval@nope'] });

  const submitted = await api.submit({ pipelineId: 'restaurant-approval', input: newOrder() });
  assert.equal(submitted.status, 200, JSON.stringify(submitted.body));
  const id = submitted.body.executionId as string;
  assert.equal((await api.result(id)).body.status.status, 'WAITING_EXTERNAL');
  const [interaction] = (await api.pending()).body as {
    interactionId: string;
    requestPayload: { orderId: string };
  }[];
  assert.ok(interaction);
  const decision = { orderId: interaction.requestPayload.orderId, decidedAt: '2026-01-01T12:00:00Z' };
  await api.complete({ interactionId: interaction.interactionId, response: { accepted: decision } });
  const done = await api.result(id);
  assert.equal(done.body.status.status, 'SUCCEEDED', JSON.stringify(done.body));
  assert.equal(done.body.result.outcome, 'APPROVED');
  assert.ok(await ranOn(worker, id), 'the execution ran in the worker that fetched the artifact');

  const unknown = await unknownRefusal;
  assert.equal(unknown.code, EXIT.notFound, unknown.output);
  assert.match(unknown.output, /error release_not_found/);

  // Altered in the bucket, then removed: the worker exits before it serves or registers.
  const Key = `${PREFIX}/sha256/${digest.replace('sha256:', '')}`;
  const release = ['--release', `restaurant-approval@${active.releaseVersion as string}`];
  await s3.client.send(new PutObjectCommand({ Bucket, Key, Body: Buffer.from('altered in S3') }));
  const altered = await workerRefusal({ ...byName, args: release });
  assert.equal(altered.code, EXIT.conflict, altered.output);
  assert.match(
    altered.output,
    new RegExp(`error artifact_verification_failed: .*${digest} hashes to sha256:`),
  );
  assert.doesNotMatch(altered.output, /listening on/);
  await s3.client.send(new DeleteObjectCommand({ Bucket, Key }));
  const missing = await workerRefusal({ ...byName, args: release });
  assert.equal(missing.code, EXIT.conflict, missing.output);
  assert.match(missing.output, new RegExp(`${digest} is missing from the artifact store .*bucket=${Bucket}`));
});

test('local store: a worker hosts an artifact from the folder; altered or missing, it refuses to start', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'capstan-artifacts-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const store = new LocalArtifactStore(root);
  const built = await buildRelease(restaurant, { sourceFile: RESTAURANT });
  const digest = await store.put(built.artifact);
  const env = { PIPELINE_ORCHESTRATOR_RELEASES_STORAGE_ROOT: root };

  const worker = await startWorkerProcess(t, { args: ['--artifact-digest', digest], env });
  assert.match(worker.output(), new RegExp(`restaurant-approval @ ${built.descriptor.releaseVersion}`));
  await worker.kill();

  appendFileSync(store.pathOf(digest), 'tampered');
  const altered = await workerRefusal({ args: ['--artifact-digest', digest], env });
  assert.equal(altered.code, EXIT.conflict, altered.output);
  assert.match(altered.output, /error artifact_verification_failed: .* it was altered after it was stored/);
  unlinkSync(store.pathOf(digest));
  const missing = await workerRefusal({ args: ['--artifact-digest', digest], env });
  assert.equal(missing.code, EXIT.conflict, missing.output);
  assert.match(
    missing.output,
    new RegExp(`${digest} is missing from the artifact store .*artifactRoot=${root}`),
  );
});

test('a worker whose own store lacks the artifact downloads it from the coordinator (worker token), verifies it and runs the execution', async (t) => {
  const coordinator = await startCoordinatorProcess(t, {
    pipelines: [RESTAURANT],
    env: remoteCoordinatorEnv(),
  });
  const admin = apiClient(coordinator.baseUrl, ADMIN_TOKEN);
  const active = (await admin.call('GET', `${RELEASES}/active`)).body;
  const digest = active.primaryArtifactDigest as string;
  const artifactPath = `${RELEASES}/${active.releaseVersion as string}/artifact`;

  // The route: worker and admin tokens open it, the operator token does not; the bytes are the digest's.
  const download = await fetch(`${coordinator.baseUrl}${artifactPath}`, {
    headers: { authorization: `Bearer ${WORKER_TOKEN}` },
  });
  assert.equal(download.status, 200);
  assert.equal(download.headers.get('x-capstan-artifact-digest'), digest);
  assert.equal(digestOf(Buffer.from(await download.arrayBuffer())), digest);
  assert.equal((await apiClient(coordinator.baseUrl).call('GET', artifactPath)).status, 403);
  assert.equal((await admin.call('GET', `${RELEASES}/nope/artifact`)).status, 404);

  // Its own artifact folder is empty: the worker fetches from the coordinator, and keeps the copy.
  const root = mkdtempSync(join(tmpdir(), 'capstan-worker-artifacts-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const worker = await startWorkerProcess(t, {
    args: ['--release', `restaurant-approval@${active.releaseVersion as string}`],
    coordinatorUrl: coordinator.baseUrl,
    nodeId: 'fetching-worker',
    env: { PIPELINE_ORCHESTRATOR_RELEASES_STORAGE_ROOT: root },
  });
  assert.match(worker.output(), /"msg":"release artifact fetched and verified"/);
  assert.ok(await new LocalArtifactStore(root).has(digest), 'the download is kept in its own store');
  await waitForWorkerState(coordinator, 'fetching-worker', 'HEALTHY');

  const api = apiClient(coordinator.baseUrl);
  const submitted = await api.submit({ pipelineId: 'restaurant-approval', input: newOrder() });
  const id = submitted.body.executionId as string;
  assert.equal((await api.result(id)).body.status.status, 'WAITING_EXTERNAL');
  const [interaction] = (await api.pending()).body as {
    interactionId: string;
    requestPayload: { orderId: string };
  }[];
  assert.ok(interaction);
  const decision = { orderId: interaction.requestPayload.orderId, decidedAt: '2026-01-01T12:00:00Z' };
  await api.complete({ interactionId: interaction.interactionId, response: { accepted: decision } });
  assert.equal((await api.result(id)).body.status.status, 'SUCCEEDED');
  assert.ok(await ranOn(worker, id), 'the execution ran in the worker that downloaded the artifact');
});
