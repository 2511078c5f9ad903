import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import restaurant from '../../examples/restaurant-approval/pipeline.ts';
import { deterministicTgz } from '../../src/releases/artifact-bundle.ts';
import { buildRelease, writeRelease } from '../../src/releases/build-release.ts';
import { ADMIN_TOKEN, apiClient, startCoordinatorProcess } from '../support/coordinator-process.ts';
import { newOrder } from '../support/restaurant-order.ts';

const SOURCE = resolve(import.meta.dirname, '../../examples/restaurant-approval/pipeline.ts');

/** Writes a release folder for the restaurant pipeline; returns its descriptor path. */
async function releaseFolder(root: string, releaseVersion: string, withModule = true): Promise<string> {
  const built = await buildRelease(restaurant, {
    sourceFile: withModule ? SOURCE : undefined,
    releaseVersion,
  });
  return (await writeRelease(built, join(root, releaseVersion))).descriptorPath;
}

async function folderTgz(dir: string): Promise<Buffer> {
  return deterministicTgz(readdirSync(dir).map((name) => ({ name, content: readFileSync(join(dir, name)) })));
}

test('releases: register (path, inline, upload), idempotence, conflicts, tampering, activation and pinning', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'capstan-releases-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const coordinator = await startCoordinatorProcess(t, { env: { CAPSTAN_RELEASES_ALLOWED_ROOTS: root } });
  const admin = apiClient(coordinator.baseUrl, ADMIN_TOKEN);
  const api = apiClient(coordinator.baseUrl);
  const releases = '/tpf/admin/tenants/default/pipelines/restaurant-approval/releases';
  const register = (body: unknown, headers?: Record<string, string>) =>
    admin.call('POST', `${releases}/register`, body, headers);

  const v1 = (await admin.call('GET', `${releases}/active`)).body;
  assert.equal(v1.status, 'ACTIVE', 'npm start registered and activated the example');

  // From a path under an allowed root; the same release again is idempotent.
  const v2Path = await releaseFolder(root, 'v2');
  const v2 = await register({ releaseDescriptorPath: v2Path });
  assert.equal(v2.status, 200, JSON.stringify(v2.body));
  assert.equal(v2.body.status, 'REGISTERED');
  assert.equal(v2.body.contractVersion, v1.contractVersion);
  assert.equal(v2.body.contract.pipelineId, 'restaurant-approval');
  const again = await register({ releaseDescriptorPath: v2Path });
  assert.equal(again.status, 200);
  assert.equal(again.body.createdAtEpochMs, v2.body.createdAtEpochMs);

  // Inline, with other bytes under the same version: a conflict.
  const other = await buildRelease(restaurant, { releaseVersion: 'v2' });
  const conflict = await register({
    descriptor: other.descriptor,
    artifacts: [{ uri: other.artifactFileName, contentBase64: other.artifact.toString('base64') }],
  });
  assert.equal(conflict.status, 409);
  assert.equal(conflict.body.error.code, 'release_conflict');

  // Uploaded as a .tgz of the release folder (a contract-only artifact: other bytes than v2's).
  await releaseFolder(root, 'v3', false);
  const v3 = await register(await folderTgz(join(root, 'v3')), { 'content-type': 'application/gzip' });
  assert.equal(v3.status, 200, JSON.stringify(v3.body));
  assert.equal(v3.body.releaseVersion, 'v3');

  // Refusals: outside the roots, relative, tampered at register, tampered at activation.
  const outside = await register({ releaseDescriptorPath: resolve('package.json') });
  assert.equal(outside.status, 403);
  assert.equal(outside.body.error.code, 'release_path_not_allowed');
  assert.equal(
    (await register({ releaseDescriptorPath: 'v2/pipeline-release.json' })).body.error.code,
    'release_invalid',
  );
  const v4Path = await releaseFolder(root, 'v4');
  const artifact = join(root, 'v4', 'restaurant-approval.tgz');
  writeFileSync(artifact, Buffer.concat([readFileSync(artifact), Buffer.from('tampered')]));
  const tampered = await register({ releaseDescriptorPath: v4Path });
  assert.equal(tampered.status, 400);
  assert.match(tampered.body.error.message, /hashes to/);
  const stored = join(
    coordinator.dataDir,
    'artifacts',
    'sha256',
    v3.body.primaryArtifactDigest.replace('sha256:', ''),
  );
  writeFileSync(stored, 'not the artifact');
  const corrupt = await admin.call('POST', `${releases}/v3/activate`);
  assert.equal(corrupt.status, 409);
  assert.equal(corrupt.body.error.code, 'artifact_verification_failed');

  // Activation affects new submissions only: a parked v1 execution stays pinned to v1.
  const parked = await api.submit({ pipelineId: 'restaurant-approval', input: newOrder() });
  assert.equal((await api.result(parked.body.executionId)).body.status.status, 'WAITING_EXTERNAL');
  const activated = await admin.call('POST', `${releases}/v2/activate`);
  assert.equal(activated.status, 200);
  assert.equal(activated.body.status, 'ACTIVE');
  assert.equal((await admin.call('GET', `${releases}/active`)).body.releaseVersion, 'v2');
  const refused = await api.submit({ pipelineId: 'restaurant-approval', input: newOrder() });
  assert.equal(refused.status, 503, 'no worker hosts v2');
  assert.equal(refused.body.error.code, 'no_healthy_worker');
  const [interaction] = (await api.pending()).body as {
    interactionId: string;
    requestPayload: { orderId: string };
  }[];
  assert.ok(interaction);
  await api.complete({
    interactionId: interaction.interactionId,
    response: { accepted: { orderId: interaction.requestPayload.orderId, decidedAt: 'now' } },
  });
  const done = await api.result(parked.body.executionId);
  assert.equal(done.body.status.status, 'SUCCEEDED');
  assert.equal(done.body.status.releaseVersion, v1.releaseVersion);

  assert.equal((await admin.call('POST', `${releases}/${v1.releaseVersion}/activate`)).status, 200);
  const resumed = await api.submit({ pipelineId: 'restaurant-approval', input: newOrder() });
  assert.equal(resumed.body.releaseVersion, v1.releaseVersion);
  const history = (await admin.call('GET', `${releases}/activations`)).body as { releaseVersion: string }[];
  assert.deepEqual(
    history.map((a) => a.releaseVersion),
    [v1.releaseVersion, 'v2', v1.releaseVersion],
  );
  const listed = (await admin.call('GET', releases)).body as { releaseVersion: string; status: string }[];
  assert.deepEqual(listed.map((r) => r.releaseVersion).sort(), [v1.releaseVersion, 'v2', 'v3'].sort());
  assert.equal(listed.find((r) => r.status === 'ACTIVE')?.releaseVersion, v1.releaseVersion);

  assert.equal((await admin.call('GET', `${releases}/nope`)).body.error.code, 'release_not_found');
  const unknownPipeline = await admin.call(
    'GET',
    '/tpf/admin/tenants/default/pipelines/nothing/releases/active',
  );
  assert.equal(unknownPipeline.status, 404);
  assert.equal(
    (await api.call('GET', releases)).status,
    403,
    'the operator token does not open the admin surface',
  );
});
