import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, type TestContext } from 'node:test';
import restaurant from '../../examples/restaurant-approval/pipeline.ts';
import { buildRelease } from '../../src/releases/build-release.ts';
import { LocalArtifactStore } from '../../src/releases/local-artifact-store.ts';
import { NonRetryableError } from '../../src/sdk/index.ts';
import { releaseFromArtifact } from '../../src/worker/release-from-artifact.ts';

const SOURCE = fileURLToPath(new URL('../../examples/restaurant-approval/pipeline.ts', import.meta.url));

function tempDir(t: TestContext, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('a registered artifact is loaded as the release a coordinator builds from the same source', async (t) => {
  const store = new LocalArtifactStore(tempDir(t, 'capstan-store-'));
  const built = await buildRelease(restaurant, { sourceFile: SOURCE });
  const digest = await store.put(built.artifact);
  const release = await releaseFromArtifact(store, { digest });
  assert.deepEqual(
    [release.pipelineId, release.contractVersion, release.releaseVersion, release.artifactDigest],
    ['restaurant-approval', built.contract.contractVersion, built.descriptor.releaseVersion, digest],
  );
  assert.notEqual(release.pipeline, restaurant, 'the artifact’s own code, not this module');

  // The artifact bundles its own copy of the SDK: its NonRetryableError is still one here.
  const validate = release.pipeline.steps[0];
  assert.equal(validate?.kind, 'step');
  let thrown: unknown;
  try {
    await validate.run({ totalAmount: '0' }, undefined as never);
  } catch (error) {
    thrown = error;
  }
  assert.ok(thrown instanceof NonRetryableError, String(thrown));
  assert.equal(thrown.code, 'invalid_amount');
});

test('an artifact is refused when it is not what the coordinator registered, or holds no code', async (t) => {
  const store = new LocalArtifactStore(tempDir(t, 'capstan-store-'));
  const withCode = await store.put((await buildRelease(restaurant, { sourceFile: SOURCE })).artifact);
  await assert.rejects(
    releaseFromArtifact(store, { digest: withCode, contractVersion: `sha256:${'0'.repeat(64)}` }),
    { code: 'release_invalid', message: /has contract sha256:\w+, not sha256:0{64}/ },
  );
  await assert.rejects(releaseFromArtifact(store, { digest: withCode, pipelineId: 'other' }), {
    code: 'release_invalid',
    message: /is pipeline 'restaurant-approval', not 'other'/,
  });
  const contractOnly = await store.put((await buildRelease(restaurant)).artifact);
  await assert.rejects(releaseFromArtifact(store, { digest: contractOnly }), {
    code: 'release_invalid',
    message: /holds no pipeline\.mjs/,
  });
});
