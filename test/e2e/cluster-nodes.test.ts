import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ClusterNode as NodeEntry, ClusterNodes } from '../../src/client/types.ts';
import { ok, runCapstan } from '../support/cli-run.ts';
import { eventually, freshSchema, startNode, type ClusterNode } from '../support/cluster.ts';
import { OPERATOR_TOKEN } from '../support/coordinator-process.ts';
import { postgresUrl } from '../support/postgres-server.ts';
import { envWithoutCapstanSettings } from '../support/clean-env.ts';

// The node registry across real coordinator processes on one PostgreSQL schema: every node
// lists every other, with its state, readiness and the maintenance leader; a node killed turns
// stale, one stopped cleanly says so. The sweep (so the heartbeat) runs every second here.

async function nodesSeenBy(node: ClusterNode): Promise<ClusterNodes> {
  const answer = await node.api.call('GET', '/api/cluster/nodes');
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return answer.body as ClusterNodes;
}

const entry = (list: ClusterNodes, nodeId: string): NodeEntry | undefined =>
  list.nodes.find((n) => n.nodeId === nodeId);

/** Polls node's list until `nodeId` shows in `state`; bounded, never a fixed sleep. */
const waitForState = (node: ClusterNode, nodeId: string, state: NodeEntry['state']) =>
  eventually(
    `${nodeId} to be ${state} as ${node.nodeId} sees it`,
    async () => {
      const found = entry(await nodesSeenBy(node), nodeId);
      return found?.state === state ? found : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  );

test('two nodes list each other, live and ready, one leader; a killed node turns stale, a stopped one stopped', async (t) => {
  const url = await postgresUrl();
  const schema = freshSchema(t, url);
  const [a, b] = await Promise.all(
    ['node-a', 'node-b'].map((nodeId) => startNode(t, { url, schema, nodeId })),
  );
  assert.ok(a && b);

  const both = await eventually(
    'both nodes live, ready and with their address, one of them leading',
    async () => {
      const list = await nodesSeenBy(b);
      const ready = list.nodes.filter((n) => n.state === 'live' && n.ready && n.address !== null);
      return ready.length === 2 && list.nodes.some((n) => n.leader) ? list : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  );
  assert.equal(both.thisNode, 'node-b');
  assert.deepEqual(
    both.nodes.map((n) => [n.nodeId, n.address]),
    [
      ['node-a', a.baseUrl],
      ['node-b', b.baseUrl],
    ],
  );
  assert.equal(both.nodes.filter((n) => n.leader).length, 1, 'one maintenance leader');
  assert.ok(both.staleAfterMs >= 3 * both.heartbeatIntervalMs);
  for (const n of both.nodes) assert.match(n.holder, new RegExp(`^${n.nodeId}#`));

  // The CLI reads the same list, as JSON and as a table.
  const home = mkdtempSync(join(tmpdir(), 'capstan-cli-home-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const env = {
    ...envWithoutCapstanSettings(),
    XDG_CONFIG_HOME: join(home, 'config'),
    CAPSTAN_DATA_DIR: join(home, 'no-data-dir'),
    CAPSTAN_URL: a.baseUrl,
    CAPSTAN_TOKEN: OPERATOR_TOKEN,
  };
  const json = JSON.parse(ok(await runCapstan(env, ['cluster', 'nodes', '--json']))) as ClusterNodes;
  assert.equal(json.thisNode, 'node-a');
  assert.deepEqual(
    json.nodes.map((n) => n.nodeId),
    ['node-a', 'node-b'],
  );
  const table = ok(await runCapstan(env, ['cluster', 'nodes']));
  assert.match(table, /^NODE\s+STATE\s+READY\s+LEADER/m);
  assert.match(table, /^node-a \(this\)\s+live\s+yes/m);
  assert.match(table, /^node-b\s+live\s+yes/m);

  // Killed: no clean stop, so the heartbeats just end and the others see it go stale.
  await b.kill('SIGKILL');
  const stale = await waitForState(a, 'node-b', 'stale');
  assert.equal(stale.ready, false, 'a stale node is not ready');
  assert.equal(stale.stoppedAt, null);
  const leader = await eventually('node-a to lead once node-b is gone', async () => {
    const list = await nodesSeenBy(a);
    return entry(list, 'node-a')?.leader ? list : undefined;
  });
  assert.equal(entry(leader, 'node-b')?.leader, false);

  // Stopped cleanly: its last act is to say so.
  const c = await startNode(t, { url, schema, nodeId: 'node-c' });
  await waitForState(a, 'node-c', 'live');
  // Its signal handlers are in place once it logged `coordinator ready` (after the banner).
  await eventually('node-c to log that it is ready', () =>
    c.stdout().includes('coordinator ready') ? true : undefined,
  );
  assert.equal(await c.kill('SIGTERM'), 0);
  const stopped = await waitForState(a, 'node-c', 'stopped');
  assert.ok(stopped.stoppedAt !== null);
  assert.equal(stopped.ready, false);
});
