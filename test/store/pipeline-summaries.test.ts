import assert from 'node:assert/strict';
import type { PipelineContract } from '../../src/releases/pipeline-contract.ts';
import type { ReleaseRecord } from '../../src/store/records.ts';
import type { Store } from '../../src/store/store-port.ts';
import { claim, submitted, T0 } from '../support/store-fixtures.ts';
import { forEachStore, openTestStore } from '../support/test-stores.ts';

// `listPipelines` (GET …/pipelines, `capstan pipelines`): one row per pipeline with a
// registered release, its latest activation, and its live executions by status.

const release = (pipelineId: string, version: string, tenantId = 'default'): ReleaseRecord => ({
  tenantId,
  pipelineId,
  releaseVersion: version,
  contractVersion: 'sha256:contract',
  descriptor: { version },
  contract: { pipelineId } as unknown as PipelineContract,
  primaryArtifactDigest: `sha256:${version}`,
  createdAtMs: T0,
});

const activate = (store: Store, pipelineId: string, releaseVersion: string, atMs: number) =>
  store.activateRelease({
    tenantId: 'default',
    pipelineId,
    releaseVersion,
    activatedAtMs: atMs,
    actor: 'ci',
  });

forEachStore('listPipelines: registered pipelines, the latest activation, live counts', async (t, kind) => {
  const { store } = await openTestStore(t, kind, { nowMs: () => T0 });
  assert.deepEqual(await store.listPipelines('default'), []);

  await store.registerRelease(release('p', 'r1'));
  await store.registerRelease(release('p', 'r2'));
  await store.registerRelease(release('q', 'r1'));
  await store.registerRelease(release('elsewhere', 'r1', 'other-tenant'));
  assert.equal(await activate(store, 'p', 'r2', T0), true);
  assert.equal(await activate(store, 'p', 'r1', T0 + 1), true);

  await submitted(store, 'a');
  await submitted(store, 'b');
  await submitted(store, 'c');
  await claim(store, { limit: 1 });

  assert.deepEqual(await store.listPipelines('default'), [
    { pipelineId: 'p', releaseCount: 2, activeReleaseVersion: 'r1', liveCounts: { QUEUED: 2, RUNNING: 1 } },
    { pipelineId: 'q', releaseCount: 1, activeReleaseVersion: null, liveCounts: {} },
  ]);
  assert.deepEqual(
    (await store.listPipelines('other-tenant')).map((p) => p.pipelineId),
    ['elsewhere'],
    'per tenant',
  );
});
