import assert from 'node:assert/strict';
import type { NodeHeartbeat } from '../../src/store/cluster-node-row.ts';
import { T0 } from '../support/store-fixtures.ts';
import { forEachStore, openTestStore } from '../support/test-stores.ts';

// The node registry: each node's own row, replaced by a newer start, marked at a clean stop,
// pruned once silent for long.

const beat = (
  nodeId: string,
  startedAtMs: number,
  heartbeatAtMs: number,
  more: Partial<NodeHeartbeat> = {},
) => ({
  nodeId,
  holder: `${nodeId}#${startedAtMs}`,
  address: null,
  version: '1.2.3',
  startedAtMs,
  heartbeatAtMs,
  ready: true,
  ...more,
});

forEachStore(
  'heartbeats record each node; a newer start replaces it, an older one does not',
  async (t, kind) => {
    const { store } = await openTestStore(t, kind);
    assert.deepEqual(await store.listNodes(), []);
    await store.recordNodeHeartbeat(beat('node-b', T0, T0, { ready: false }));
    await store.recordNodeHeartbeat(beat('node-a', T0, T0));
    await store.recordNodeHeartbeat(beat('node-a', T0, T0 + 10, { address: 'http://127.0.0.1:8080' }));
    assert.deepEqual(await store.listNodes(), [
      { ...beat('node-a', T0, T0 + 10, { address: 'http://127.0.0.1:8080' }), stoppedAtMs: null },
      { ...beat('node-b', T0, T0, { ready: false }), stoppedAtMs: null },
    ]);

    await store.recordNodeHeartbeat(beat('node-a', T0 + 100, T0 + 100));
    await store.recordNodeHeartbeat(beat('node-a', T0, T0 + 200));
    const [a] = await store.listNodes();
    assert.equal(a?.holder, `node-a#${T0 + 100}`, 'an earlier start does not overwrite a later one');
    assert.equal(a?.heartbeatAtMs, T0 + 100);
  },
);

forEachStore('a clean stop marks the node; a later start clears the mark', async (t, kind) => {
  const { store } = await openTestStore(t, kind);
  await store.recordNodeHeartbeat(beat('node-a', T0, T0));
  await store.markNodeStopped({ nodeId: 'node-a', holder: 'node-a#0', atMs: T0 + 5 });
  assert.equal((await store.listNodes())[0]?.stoppedAtMs, null, 'another holder stops nothing');
  await store.markNodeStopped({ nodeId: 'node-a', holder: `node-a#${T0}`, atMs: T0 + 5 });
  const [stopped] = await store.listNodes();
  assert.equal(stopped?.stoppedAtMs, T0 + 5);
  assert.equal(stopped?.ready, false);
  await store.recordNodeHeartbeat(beat('node-a', T0 + 50, T0 + 50));
  assert.equal((await store.listNodes())[0]?.stoppedAtMs, null);
});

forEachStore('pruning deletes the nodes silent since before the cut-off', async (t, kind) => {
  const { store } = await openTestStore(t, kind);
  await store.recordNodeHeartbeat(beat('node-a', T0, T0));
  await store.recordNodeHeartbeat(beat('node-b', T0, T0 + 1000));
  assert.equal(await store.pruneNodes(T0 + 1000), 1);
  assert.deepEqual(
    (await store.listNodes()).map((n) => n.nodeId),
    ['node-b'],
  );
  assert.equal(await store.pruneNodes(T0 + 1000), 0);
});
