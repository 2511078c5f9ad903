import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import type { TestContext } from 'node:test';
import pg from 'pg';
import { apiClient, startCoordinatorProcess, type CoordinatorProcess } from './coordinator-process.ts';

const ROOT = resolve(import.meta.dirname, '../..');
export const CLUSTER_PIPELINES = resolve(ROOT, 'test/fixtures/cluster-pipeline/pipeline.ts');
export const RESTAURANT_PIPELINE = resolve(ROOT, 'examples/restaurant-approval/pipeline.ts');

/** A schema name of its own for one test, dropped (with everything in it) when the test ends. */
export function freshSchema(t: TestContext, url: string): string {
  const schema = `capstan_cluster_${randomBytes(5).toString('hex')}`;
  t.after(async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  });
  return schema;
}

export interface ClusterNode extends CoordinatorProcess {
  readonly nodeId: string;
  readonly api: ReturnType<typeof apiClient>;
}

/**
 * One coordinator node as an operator runs it: its own process, port and data directory, the
 * shared PostgreSQL schema, a node id. Short leases and sweeps keep the tests brisk.
 */
export async function startNode(
  t: TestContext,
  options: {
    url: string;
    schema: string;
    nodeId: string;
    pipelines?: string[];
    env?: Record<string, string>;
  },
): Promise<ClusterNode> {
  const process = await startCoordinatorProcess(t, {
    pipelines: options.pipelines ?? [RESTAURANT_PIPELINE],
    env: {
      CAPSTAN_NODE_ID: options.nodeId,
      PIPELINE_ORCHESTRATOR_STATE_PROVIDER: 'postgres',
      PIPELINE_ORCHESTRATOR_POSTGRES_URL: options.url,
      PIPELINE_ORCHESTRATOR_POSTGRES_SCHEMA: options.schema,
      PIPELINE_ORCHESTRATOR_POSTGRES_POOL_SIZE: '4',
      PIPELINE_ORCHESTRATOR_CLUSTER_LEADER_LEASE: 'PT2S',
      PIPELINE_ORCHESTRATOR_SWEEP_INTERVAL: 'PT1S',
      PIPELINE_ORCHESTRATOR_LEASE_MS: '3000',
      PIPELINE_ORCHESTRATOR_RETRY_DELAY: 'PT0.5S',
      ...options.env,
    },
  });
  return { ...process, nodeId: options.nodeId, api: apiClient(process.baseUrl) };
}

export { eventually } from './eventually.ts';

export interface JournalEvent {
  readonly seq: number;
  readonly type: string;
  readonly data: Record<string, unknown>;
}

/** Every journal event of an execution, read through one node's API. */
export async function journalOf(node: ClusterNode, executionId: string): Promise<JournalEvent[]> {
  const events: JournalEvent[] = [];
  let after = 0;
  for (;;) {
    const page = await node.api.call(
      'GET',
      `/tpf/control-plane/tenants/default/executions/${executionId}/history?afterSeq=${after}&limit=500`,
    );
    if (page.status !== 200) throw new Error(`history ${page.status}: ${JSON.stringify(page.body)}`);
    events.push(...(page.body.events as JournalEvent[]));
    if (page.body.nextAfterSeq === null) return events;
    after = page.body.nextAfterSeq as number;
  }
}

/** The maintenance leader as a node reports it, or undefined while there is none. */
export async function leaderSeenBy(
  node: ClusterNode,
): Promise<{ nodeId: string; epoch: number } | undefined> {
  const info = await node.api.call('GET', '/api/cluster/info');
  return (info.body?.maintenance?.leader as { nodeId: string; epoch: number } | null) ?? undefined;
}
