/**
 * Seeds a scale target: a real template made by a coordinator (template-process.ts), then its
 * rows cloned `count` times with set-based INSERTs (clone-sql.ts), in one transaction, straight
 * into the store's tables. PostgreSQL is then vacuumed and analysed, as autovacuum would have
 * done to a database that grew this large; SQLite gets no ANALYZE, since the store never runs one.
 *
 * The seed is written unsynced (it can be made again), so it ends with the whole of it flushed
 * to disk (flushToDisk). Otherwise the kernel writes gigabytes of seed data back while the timed
 * runs go on, and every COMMIT's fsync waits behind them: W1 on a 1M SQLite store measured 35 %
 * slower than on an empty one for that reason alone, and as fast once the seed was on disk.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import pg from 'pg';
import { runJsonProcess } from '../lib/json-process.ts';
import type { NodeRuntime } from '../lib/runtime.ts';
import type { StoreTarget } from '../lib/store-target.ts';
import { cloneStatements, postgresClone, sqliteClone, type Template } from './clone-sql.ts';
import { openSqlite } from '../../src/store/sqlite/sqlite-driver.ts';

export interface Seeded {
  readonly count: number;
  /** Executions in the store afterwards (2 × count + the 2 templates). */
  readonly executions: number;
  readonly waitingInteractions: number;
  readonly seedMs: number;
}

const TABLES = ['executions', 'step_outputs', 'journal', 'await_interactions'];

export async function seed(runtime: NodeRuntime, target: StoreTarget, count: number): Promise<Seeded> {
  const template = await runJsonProcess<Template>(runtime, 'bench/scale/template-process.ts', {
    dataDir: target.dataDir,
    settings: target.settings,
  });
  const t0 = performance.now();
  const counts =
    target.kind === 'sqlite'
      ? seedSqlite(target, template, count)
      : await seedPostgres(target, template, count);
  await flushToDisk(target);
  return { count, ...counts, seedMs: performance.now() - t0 };
}

type Counts = Pick<Seeded, 'executions' | 'waitingInteractions'>;
const COUNTS_SQL =
  "SELECT (SELECT count(*) FROM executions) AS executions, (SELECT count(*) FROM await_interactions WHERE status = 'WAITING') AS waiting";

function seedSqlite(target: StoreTarget, template: Template, count: number): Counts {
  // The store's own driver: better-sqlite3 is optional, and absent where node:sqlite serves.
  const db = openSqlite(join(target.dataDir, 'capstan.db'));
  try {
    // The seed is rebuilt if the machine crashes mid-way: no need to sync it row by row.
    db.exec('PRAGMA synchronous = OFF');
    // 14 indexes grow with the clones: a page cache of 1 GiB keeps their inserts off the disk.
    db.exec('PRAGMA cache_size = -1048576');
    if (count > 0) {
      db.exec('BEGIN');
      for (const statement of cloneStatements(sqliteClone, template, count)) db.exec(statement);
      db.exec('COMMIT');
    }
    db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    const r = db.prepare(COUNTS_SQL).get() as { executions: number; waiting: number };
    return { executions: r.executions, waitingInteractions: r.waiting };
  } finally {
    db.close();
  }
}

async function seedPostgres(target: StoreTarget, template: Template, count: number): Promise<Counts> {
  const schema = target.settings['pipeline.orchestrator.postgres.schema'];
  const url = target.settings['pipeline.orchestrator.postgres.url'];
  const client = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
  await client.connect();
  try {
    if (count > 0) {
      await client.query('BEGIN');
      await client.query('SET LOCAL synchronous_commit = off');
      for (const statement of cloneStatements(postgresClone, template, count)) await client.query(statement);
      await client.query('COMMIT');
    }
    await client.query(`VACUUM (ANALYZE) ${TABLES.join(', ')}`);
    const r = await client.query<{ executions: string; waiting: string }>(COUNTS_SQL);
    return { executions: Number(r.rows[0]?.executions), waitingInteractions: Number(r.rows[0]?.waiting) };
  } finally {
    await client.end();
  }
}

/**
 * Puts every level in the same state before a timed run: on PostgreSQL a CHECKPOINT (which also
 * restarts the `checkpoint_timeout` clock, so no periodic checkpoint's full-page writes fall into
 * a few-second run of one level and not another's), then sync(1) for both stores.
 */
export async function flushToDisk(target: StoreTarget): Promise<void> {
  if (target.kind === 'postgres') {
    const client = new pg.Client({ connectionString: target.settings['pipeline.orchestrator.postgres.url'] });
    await client.connect();
    try {
      await client.query('CHECKPOINT');
    } finally {
      await client.end();
    }
  }
  execFileSync('sync');
}
