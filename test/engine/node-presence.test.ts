// The node registry as a coordinator keeps it, on manual time: its own row heartbeated by the
// maintenance passes, a silent peer judged stale after three intervals, and pruned by the
// leader once silent for long.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildInfo } from '../../src/build/build-info.ts';
import { startEngine } from '../support/engine-harness.ts';

const HOUR_MS = 3_600_000;

for (const kind of ['sqlite', 'postgres'] as const) {
  test(`a node heartbeats at its passes; a silent peer turns stale, then is pruned [${kind}]`, async (t) => {
    const { coordinator, store, time } = await startEngine(
      t,
      [],
      { sweepIntervalMs: 1000, workerStaleAfterMs: 30_000 },
      { store: kind },
    );
    const nodeId = coordinator.config.nodeId;
    const first = await coordinator.clusterNodes();
    assert.equal(first.heartbeatIntervalMs, 1000, 'the sweep interval: passes come at least that often');
    assert.equal(first.staleAfterMs, 3000);
    assert.equal(first.nodes.length, 1);
    const [self] = first.nodes;
    assert.equal(self?.nodeId, nodeId);
    assert.equal(self?.state, 'live');
    assert.equal(self?.ready, true);
    assert.equal(self?.leader, true);
    assert.equal(self?.version, buildInfo().version);
    assert.match(self?.holder ?? '', new RegExp(`^${nodeId}#`));

    // A pass soon after the last heartbeat writes nothing: passes may come far more often.
    const startedAtMs = self?.startedAtMs;
    time.advance(100);
    await coordinator.tick();
    assert.equal((await store.listNodes())[0]?.heartbeatAtMs, self?.heartbeatAtMs);

    // A peer that heartbeated once and fell silent.
    await store.recordNodeHeartbeat({
      nodeId: 'peer',
      holder: 'peer#1',
      address: 'http://127.0.0.1:9',
      version: '0.0.1',
      startedAtMs: time.now(),
      heartbeatAtMs: time.now(),
      ready: true,
    });
    time.advance(3001);
    await coordinator.tick();
    const later = await coordinator.clusterNodes();
    const byId = new Map(later.nodes.map((n) => [n.nodeId, n]));
    assert.equal(byId.get('peer')?.state, 'stale');
    assert.equal(byId.get('peer')?.leader, false);
    assert.equal(byId.get(nodeId)?.state, 'live', 'its own passes kept it fresh');
    assert.equal(byId.get(nodeId)?.heartbeatAtMs, time.now());
    assert.equal(byId.get(nodeId)?.startedAtMs, startedAtMs, 'the start instant stays');

    // Silent for over an hour: the maintenance leader deletes it; this node stays.
    time.advance(HOUR_MS);
    await coordinator.tick();
    assert.deepEqual(
      (await coordinator.clusterNodes()).nodes.map((n) => [n.nodeId, n.state]),
      [[nodeId, 'live']],
    );
  });
}
