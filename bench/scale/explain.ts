/**
 * The plans of the two queries that must not grow with the store, on a seeded store: the
 * pending-interactions query (three filters, as pending-process.ts times them) and the claim's
 * candidate SELECT. PostgreSQL: `EXPLAIN (ANALYZE, BUFFERS)`, the claim inside a rolled-back
 * transaction (it locks rows); SQLite: `EXPLAIN QUERY PLAN`. The SQL is copied from
 * src/store/{postgres,sqlite}/{queries,claim}.ts (which export no SQL text): keep them in step.
 */
import { join } from 'node:path';
import pg from 'pg';
import { openSqlite } from '../../src/store/sqlite/sqlite-driver.ts';
import type { StoreTarget } from '../lib/store-target.ts';

const PG_PENDING = `SELECT * FROM await_interactions
     WHERE tenant_id = $1 AND status = 'WAITING'
       AND ($2::text IS NULL OR assignee = $2)
       AND ($3::text IS NULL OR group_name = $3)
       AND ($4::text IS NULL OR step_id = $4)
     ORDER BY deadline_at, created_at, interaction_id LIMIT $5`;

const PG_CLAIM = `SELECT execution_id, status, lease_epoch FROM executions
     WHERE status IN ('QUEUED', 'WAIT_RETRY') AND next_due_at <= $1
       AND release_version = ANY($2::text[])
     ORDER BY next_due_at LIMIT $3
     FOR UPDATE SKIP LOCKED`;

const SQLITE_PENDING = `SELECT * FROM await_interactions
       WHERE tenant_id = @tenantId AND status = 'WAITING'
         AND (@assignee IS NULL OR assignee = @assignee)
         AND (@group IS NULL OR group_name = @group)
         AND (@stepId IS NULL OR step_id = @stepId)
       ORDER BY deadline_at, created_at, interaction_id LIMIT @limit`;

const SQLITE_CLAIM = `SELECT execution_id, status, lease_epoch FROM executions
       WHERE status IN ('QUEUED', 'WAIT_RETRY') AND next_due_at <= ?
         AND release_version IN (SELECT value FROM json_each(?))
       ORDER BY next_due_at LIMIT ?`;

const GROUPS = { all: null, group: 'bench', noMatch: 'nobody' } as const;
/** The claim's batch size is the engine's max-in-flight; the plan does not depend on it. */
const CLAIM_LIMIT = 64;

export type Plans = Record<string, string>;

/** The claim asks for executions of the releases some worker hosts: here, every registered one. */
const RELEASES = 'SELECT release_version FROM releases';

export async function explainPlans(target: StoreTarget): Promise<Plans> {
  return target.kind === 'sqlite' ? explainSqlite(target) : explainPostgres(target);
}

function explainSqlite(target: StoreTarget): Plans {
  // The store's own driver: better-sqlite3 is optional, and absent where node:sqlite serves.
  const db = openSqlite(join(target.dataDir, 'capstan.db'));
  try {
    const releaseVersions = (db.prepare(RELEASES).all() as { release_version: string }[]).map(
      (r) => r.release_version,
    );
    const plan = (sql: string, params: unknown): string =>
      (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as { detail: string }[])
        .map((r) => r.detail)
        .join('\n');
    const plans: Plans = {};
    for (const [name, group] of Object.entries(GROUPS))
      plans[`pending ${name}`] = plan(SQLITE_PENDING, {
        tenantId: 'default',
        assignee: null,
        group,
        stepId: null,
        limit: 100,
      });
    plans.claim = (
      db
        .prepare(`EXPLAIN QUERY PLAN ${SQLITE_CLAIM}`)
        .all(Date.now(), JSON.stringify(releaseVersions), CLAIM_LIMIT) as { detail: string }[]
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
  const plan = async (sql: string, params: unknown[]): Promise<string> =>
    (await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, params)).rows
      .map((r) => r['QUERY PLAN'])
      .join('\n');
  try {
    const releaseVersions = (await client.query<{ release_version: string }>(RELEASES)).rows.map(
      (r) => r.release_version,
    );
    const plans: Plans = {};
    for (const [name, group] of Object.entries(GROUPS))
      plans[`pending ${name}`] = await plan(PG_PENDING, ['default', null, group, null, 100]);
    await client.query('BEGIN');
    plans.claim = await plan(PG_CLAIM, [Date.now(), [...releaseVersions], CLAIM_LIMIT]);
    await client.query('ROLLBACK');
    return plans;
  } finally {
    await client.end();
  }
}
