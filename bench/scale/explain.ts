/**
 * The plans of the two queries that must not grow with the store, on a seeded store: the
 * pending-interactions query (three filters, as pending-process.ts times them) and the claim.
 * The statements are the store's own (exported by src/store/{postgres,sqlite}/{queries,claim}.ts).
 * PostgreSQL: `EXPLAIN (ANALYZE, BUFFERS)` of the whole one-statement claim, inside a
 * rolled-back transaction (it locks and updates rows); SQLite: `EXPLAIN QUERY PLAN` of the
 * claim's candidate SELECT (the updates that follow are by primary key).
 */
import { join } from 'node:path';
import pg from 'pg';
import { CLAIM, claimParams } from '../../src/store/postgres/claim.ts';
import { PENDING_INTERACTIONS, pendingInteractionsParams } from '../../src/store/postgres/queries.ts';
import { bind } from '../../src/store/postgres/sql.ts';
import { CLAIM_CANDIDATES, PARK_WINDOW } from '../../src/store/sqlite/claim.ts';
import { pendingInteractionsQuery } from '../../src/store/sqlite/queries.ts';
import { openSqlite } from '../../src/store/sqlite/sqlite-driver.ts';
import type { StoreTarget } from '../lib/store-target.ts';

const GROUPS = { all: undefined, group: 'bench', noMatch: 'nobody' } as const;
/** The claim's batch size is the engine's max-in-flight; the plan does not depend on it. */
const CLAIM_LIMIT = 64;

export type Plans = Record<string, string>;

/** The claim asks for executions of the releases some worker hosts: here, every registered one. */
const RELEASES = 'SELECT tenant_id, pipeline_id, release_version FROM releases';
interface ReleaseRow {
  tenant_id: string;
  pipeline_id: string;
  release_version: string;
}
const routeOf = (r: ReleaseRow) => ({
  tenantId: r.tenant_id,
  pipelineId: r.pipeline_id,
  releaseVersion: r.release_version,
});

export async function explainPlans(target: StoreTarget): Promise<Plans> {
  return target.kind === 'sqlite' ? explainSqlite(target) : explainPostgres(target);
}

function explainSqlite(target: StoreTarget): Plans {
  // The store's own driver: better-sqlite3 is optional, and absent where node:sqlite serves.
  const db = openSqlite(join(target.dataDir, 'capstan.db'));
  try {
    const plan = (sql: string, params: unknown): string =>
      (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as { detail: string }[])
        .map((r) => r.detail)
        .join('\n');
    const plans: Plans = {};
    for (const [name, group] of Object.entries(GROUPS)) {
      const q = pendingInteractionsQuery('default', { group, limit: 100 });
      plans[`pending ${name}`] = plan(q.sql, q.params);
    }
    plans.claim = (
      db.prepare(`EXPLAIN QUERY PLAN ${CLAIM_CANDIDATES}`).all(Date.now(), CLAIM_LIMIT + PARK_WINDOW) as {
        detail: string;
      }[]
    )
      .map((r) => r.detail)
      .join('\n');
    return plans;
  } finally {
    db.close();
  }
}

async function explainPostgres(target: StoreTarget): Promise<Plans> {
  const schema = target.settings['pipeline.orchestrator.postgres.schema'];
  const client = new pg.Client({
    connectionString: target.settings['pipeline.orchestrator.postgres.url'],
    options: `-c search_path=${schema}`,
  });
  await client.connect();
  const plan = async (sql: string, params: object): Promise<string> => {
    const { text, values } = bind(sql, params);
    return (await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${text}`, values)).rows
      .map((r) => r['QUERY PLAN'])
      .join('\n');
  };
  try {
    const routes = (await client.query<ReleaseRow>(RELEASES)).rows.map(routeOf);
    const plans: Plans = {};
    for (const [name, group] of Object.entries(GROUPS))
      plans[`pending ${name}`] = await plan(
        PENDING_INTERACTIONS,
        pendingInteractionsParams('default', { group, limit: 100 }),
      );
    await client.query('BEGIN');
    plans.claim = await plan(
      CLAIM,
      claimParams({
        nowMs: Date.now(),
        limit: CLAIM_LIMIT,
        owner: 'explain',
        leaseMs: 30_000,
        routes,
      }),
    );
    await client.query('ROLLBACK');
    return plans;
  } finally {
    await client.end();
  }
}
