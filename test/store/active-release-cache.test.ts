import assert from 'node:assert/strict';
import type { PipelineContract } from '../../src/releases/pipeline-contract.ts';
import { ReleaseCatalog } from '../../src/releases/release-catalog.ts';
import { ManualTime } from '../../src/runtime/manual-time.ts';
import type { ReleaseRecord } from '../../src/store/records.ts';
import type { Store } from '../../src/store/store-port.ts';
import { T0 } from '../support/store-fixtures.ts';
import { forEachStore, openTestStore } from '../support/test-stores.ts';

// The active-release cache in front of a real store: an invalidation during a read is not
// overwritten, an answer expires by TTL (a change made without a signal shows), and the
// pipelines nobody activated are remembered only up to a bound.

const TTL_MS = 5000;

const release = (pipelineId: string, version: string): ReleaseRecord => ({
  tenantId: 'default',
  pipelineId,
  releaseVersion: version,
  contractVersion: 'sha256:contract',
  descriptor: { version },
  // The cache never looks inside the contract; the store keeps it as JSON.
  contract: { pipelineId } as unknown as PipelineContract,
  primaryArtifactDigest: `sha256:${version}`,
  createdAtMs: T0,
});

async function activate(store: Store, pipelineId: string, version: string, atMs: number): Promise<void> {
  await store.registerRelease(release(pipelineId, version));
  const activated = await store.activateRelease({
    tenantId: 'default',
    pipelineId,
    releaseVersion: version,
    activatedAtMs: atMs,
    actor: 'ci',
  });
  assert.equal(activated, true);
}

/** The real store, its `getActiveRelease` counted and, while `hold` is set, held after reading. */
function watched(store: Store) {
  const state = { reads: 0, hold: undefined as Promise<void> | undefined, entered: () => {} };
  const getActiveRelease: Store['getActiveRelease'] = async (tenantId, pipelineId) => {
    state.reads++;
    const found = await store.getActiveRelease(tenantId, pipelineId);
    const hold = state.hold;
    if (hold) {
      state.entered();
      await hold;
    }
    return found;
  };
  const proxy = new Proxy(store, {
    get: (target, name, receiver): unknown =>
      name === 'getActiveRelease' ? getActiveRelease : Reflect.get(target, name, receiver),
  });
  return { store: proxy, state };
}

forEachStore(
  'an invalidation while a read is in flight is not overwritten by its answer',
  async (t, kind) => {
    const { store } = await openTestStore(t, kind, { nowMs: () => T0 });
    const time = new ManualTime(T0);
    const w = watched(store);
    const catalog = new ReleaseCatalog(w.store, { clock: time, ttlMs: TTL_MS });
    await activate(store, 'p', 'r1', T0);

    let release!: () => void;
    w.state.hold = new Promise<void>((resolve) => (release = resolve));
    const entered = new Promise<void>((resolve) => (w.state.entered = resolve));
    const inFlight = catalog.active('default', 'p');
    await entered; // the read has its answer (r1) and is held before returning it
    await activate(store, 'p', 'r2', T0 + 1);
    catalog.invalidate('default', 'p');
    w.state.hold = undefined;
    release();
    assert.equal((await inFlight)?.releaseVersion, 'r1', 'the read answers what it read');
    assert.equal(
      (await catalog.active('default', 'p'))?.releaseVersion,
      'r2',
      'the invalidated answer was not cached',
    );
  },
);

forEachStore('the active release expires by TTL: a change without a signal shows', async (t, kind) => {
  const { store } = await openTestStore(t, kind, { nowMs: () => T0 });
  const time = new ManualTime(T0);
  const catalog = new ReleaseCatalog(store, { clock: time, ttlMs: TTL_MS });
  await activate(store, 'p', 'r1', T0);
  assert.equal((await catalog.active('default', 'p'))?.releaseVersion, 'r1');
  // Another node activates r2; its signal never arrives here.
  await activate(store, 'p', 'r2', T0 + 1);
  time.advance(TTL_MS - 1);
  assert.equal((await catalog.active('default', 'p'))?.releaseVersion, 'r1', 'cached within the TTL');
  time.advance(1);
  assert.equal((await catalog.active('default', 'p'))?.releaseVersion, 'r2', 'read again after it');
});

forEachStore('pipelines with no active release are remembered up to a bound', async (t, kind) => {
  const { store } = await openTestStore(t, kind, { nowMs: () => T0 });
  const time = new ManualTime(T0);
  const w = watched(store);
  const catalog = new ReleaseCatalog(w.store, { clock: time, ttlMs: 3_600_000, maxMisses: 3 });
  for (let i = 0; i < 10; i++) assert.equal(await catalog.active('default', `unknown-${i}`), undefined);
  assert.equal(w.state.reads, 10);
  assert.equal(catalog.cachedMisses, 3);
  await catalog.active('default', 'unknown-9');
  assert.equal(w.state.reads, 10, 'a recent miss is answered from the cache');
  await catalog.active('default', 'unknown-0');
  assert.equal(w.state.reads, 11, 'the oldest misses were forgotten');
  assert.equal(catalog.cachedMisses, 3);
});
