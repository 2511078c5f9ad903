/**
 * `npm run bench:idle-load`: what an idle coordinator costs its PostgreSQL. For each seed size
 * (finished executions kept within their TTL) it creates a database of its own, seeds it, starts
 * `capstan serve` on it with the shipped defaults and the restaurant example, lets it settle, then
 * measures for `--seconds`:
 *
 * - from the server: transactions (`pg_stat_database.xact_commit` + `xact_rollback` of that
 *   database, which nothing else uses), statements (`pg_stat_statements.calls`, when the
 *   extension is loaded), and table scans and row changes (`pg_stat_user_tables` of its schema);
 * - from the node: `capstan_store_statements_total`, the statements its store sent.
 *
 * Prints a table and writes JSON to bench/results/idle-load-<time>.json. See docs/performance.md.
 *
 *   npm run bench:idle-load -- [--seconds 60] [--seeds 0,10000] [--sweep-interval PT30S] [--pg-url <url>]
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { PostgresStore } from '../src/store/postgres/postgres-store.ts';
import { nodeRuntime, ROOT } from './lib/runtime.ts';
import { seedFinished } from './lib/seed-finished.ts';
import { OPERATOR_TOKEN, startServer } from './lib/server-process.ts';
import type { StoreTarget } from './lib/store-target.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    seeds: { type: 'string', default: '0,10000' },
    'sweep-interval': { type: 'string' },
    'settle-seconds': { type: 'string', default: '15' },
    'pg-url': { type: 'string' },
  },
});
const seconds = Number(values.seconds);
const settleSeconds = Number(values['settle-seconds']);
const seeds = values.seeds.split(',').map(Number);
const pgUrl =
  values['pg-url'] ?? process.env.CAPSTAN_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SCHEMA = 'capstan';

interface ServerCounters {
  readonly transactions: number;
  /** Null when pg_stat_statements is not loaded in the server. */
  readonly statements: number | null;
  readonly scans: number;
  readonly rowChanges: number;
}

interface Round {
  readonly seeded: number;
  readonly seconds: number;
  readonly transactionsPerSecond: number;
  readonly statementsPerSecond: number | null;
  readonly scansPerSecond: number;
  readonly rowChangesPerSecond: number;
  readonly nodeStatementsPerSecond: number;
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const urlOf = (database: string): string => {
  const url = new URL(pgUrl);
  url.pathname = `/${database}`;
  return url.toString();
};

/** The server's counters for one database and schema, read from another database's session. */
async function serverCounters(admin: pg.Client, database: string): Promise<ServerCounters> {
  // Statistics are read as of a snapshot: drop the cached one so every read is fresh.
  await admin.query('SELECT pg_stat_clear_snapshot()');
  const db = await admin.query<{ t: string }>(
    'SELECT xact_commit + xact_rollback AS t FROM pg_stat_database WHERE datname = $1',
    [database],
  );
  const statements = await admin
    .query<{ calls: string | null }>(
      `SELECT sum(calls) AS calls FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
       WHERE d.datname = $1`,
      [database],
    )
    .then((r) => Number(r.rows[0]?.calls ?? 0))
    .catch(() => null);
  // pg_stat_user_tables is per database: ask the bench database itself.
  const inside = new pg.Client({ connectionString: urlOf(database) });
  await inside.connect();
  try {
    await inside.query('SELECT pg_stat_clear_snapshot()');
    const tables = await inside.query<{ scans: string; changes: string }>(
      `SELECT coalesce(sum(seq_scan + coalesce(idx_scan, 0)), 0) AS scans,
              coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) AS changes
       FROM pg_stat_user_tables WHERE schemaname = $1`,
      [SCHEMA],
    );
    return {
      // This session's own transactions are in the count too: two per reading, subtracted below.
      transactions: Number(db.rows[0]?.t ?? 0),
      statements,
      scans: Number(tables.rows[0]?.scans ?? 0),
      rowChanges: Number(tables.rows[0]?.changes ?? 0),
    };
  } finally {
    await inside.end();
  }
}

/** `capstan_store_statements_total` from the node's /metrics. */
async function nodeStatements(baseUrl: string): Promise<number> {
  const response = await fetch(`${baseUrl}/metrics`, {
    headers: { authorization: `Bearer ${OPERATOR_TOKEN}` },
  });
  const line = (await response.text())
    .split('\n')
    .find((l) => l.startsWith('capstan_store_statements_total '));
  return Number(line?.split(' ')[1] ?? NaN);
}

/** Seeds a round's database with `n` finished executions. */
async function seedDatabase(database: string, n: number): Promise<void> {
  const store = new PostgresStore({ connectionString: urlOf(database), schema: SCHEMA });
  try {
    await store.migrate();
    await seedFinished(store, n, Date.now());
  } finally {
    await store.close();
  }
}

async function round(admin: pg.Client, seeded: number): Promise<Round> {
  const database = `capstan_idle_${randomBytes(4).toString('hex')}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'capstan-idle-'));
  await admin.query(`CREATE DATABASE ${database}`);
  try {
    await seedDatabase(database, seeded);
    const target: StoreTarget = {
      kind: 'postgres',
      dataDir,
      settings: {
        'pipeline.orchestrator.state-provider': 'postgres',
        'pipeline.orchestrator.postgres.url': urlOf(database),
        'pipeline.orchestrator.postgres.schema': SCHEMA,
        ...(values['sweep-interval']
          ? { 'pipeline.orchestrator.sweep-interval': values['sweep-interval'] }
          : {}),
      },
      dispose: async () => undefined,
    };
    const server = await startServer(nodeRuntime({}), target, ['examples/restaurant-approval/pipeline.ts']);
    try {
      // Start-up (migrations, releases, the first passes) is not idling.
      await sleep(settleSeconds * 1000);
      const node0 = await nodeStatements(server.baseUrl);
      const s0 = await serverCounters(admin, database);
      const t0 = performance.now();
      await sleep(seconds * 1000);
      const s1 = await serverCounters(admin, database);
      const node1 = await nodeStatements(server.baseUrl);
      const elapsed = (performance.now() - t0) / 1000;
      // The reading session's own transactions (pg_stat_clear_snapshot and the table query).
      const ownTransactions = 2;
      return {
        seeded,
        seconds: elapsed,
        transactionsPerSecond: (s1.transactions - s0.transactions - ownTransactions) / elapsed,
        statementsPerSecond:
          s0.statements === null || s1.statements === null ? null : (s1.statements - s0.statements) / elapsed,
        scansPerSecond: (s1.scans - s0.scans) / elapsed,
        rowChangesPerSecond: (s1.rowChanges - s0.rowChanges) / elapsed,
        nodeStatementsPerSecond: (node1 - node0) / elapsed,
      };
    } finally {
      await server.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  }
}

const fixed = (n: number | null, digits = 2): string => (n === null ? 'n/a' : n.toFixed(digits));

const admin = new pg.Client({ connectionString: pgUrl });
await admin.connect();
try {
  const rounds: Round[] = [];
  for (const seeded of seeds) {
    process.stderr.write(`idle-load: ${seeded} finished executions kept, ${seconds} s idle…\n`);
    rounds.push(await round(admin, seeded));
  }
  const server = (await admin.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]
    ?.v;
  console.log(`Idle coordinator on PostgreSQL ${server}, ${seconds} s per round (per second):`);
  console.log(
    '| kept executions | transactions | statements (server) | table scans | row changes | statements (node) |',
  );
  console.log(
    '| --------------: | -----------: | ------------------: | ----------: | ----------: | ----------------: |',
  );
  for (const r of rounds)
    console.log(
      `| ${r.seeded} | ${fixed(r.transactionsPerSecond)} | ${fixed(r.statementsPerSecond)} | ` +
        `${fixed(r.scansPerSecond)} | ${fixed(r.rowChangesPerSecond)} | ${fixed(r.nodeStatementsPerSecond)} |`,
    );
  const dir = join(ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `idle-load-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify({ postgres: server, seconds, settleSeconds, rounds }, null, 2)}\n`);
  console.log(`wrote ${file}`);
} finally {
  await admin.end();
}
