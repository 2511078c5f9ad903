import { join } from 'node:path';
import { ConfigError } from '../errors/config-error.ts';
import { resolveSecretRef } from '../config/secret-ref.ts';
import type { Settings } from '../config/settings.ts';
import { infoOf, type MigrationInfo } from './migrations.ts';
import type { PostgresStore } from './postgres/postgres-store.ts';
import type { SqliteStore } from './sqlite/sqlite-store.ts';

/** What `openStore` returns: a Store, narrowed by `dialect` to reach what is specific to one. */
export type OpenedStore = SqliteStore | PostgresStore;

export interface OpenStoreOptions {
  /** The data directory (already resolved): the SQLite file lives here. */
  readonly dataDir: string;
  /** The clock for the stores' own bookkeeping (migration timestamps). */
  readonly nowMs?: () => number;
  /** Where `env:` refs are read from; defaults to `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
}

const PROVIDER = 'pipeline.orchestrator.state-provider';
const URL_KEY = 'pipeline.orchestrator.postgres.url';

/**
 * The store the configuration names (`pipeline.orchestrator.state-provider`), not yet migrated:
 * `sqlite` opens `<data-dir>/capstan.db` with the configured durability (and takes its exclusive
 * lock now); `postgres` builds a pool on `postgres.url` (a URL or a secret ref, resolved here)
 * in `postgres.schema`, which connects on first use. Each store's module loads only when chosen.
 * A ref that cannot be resolved, or a resolved value that is no postgres URL, is a ConfigError;
 * neither message carries the value.
 */
export async function openStore(values: Settings, options: OpenStoreOptions): Promise<OpenedStore> {
  const nowMs = options.nowMs ? { nowMs: options.nowMs } : {};
  if (values[PROVIDER] === 'postgres') {
    const connectionString = resolvePostgresUrl(values, options.env);
    const { PostgresStore } = await import('./postgres/postgres-store.ts');
    return new PostgresStore({
      connectionString,
      schema: values['pipeline.orchestrator.postgres.schema'],
      poolSize: values['pipeline.orchestrator.postgres.pool-size'],
      ...nowMs,
    });
  }
  const { SqliteStore } = await import('./sqlite/sqlite-store.ts');
  return new SqliteStore({
    file: join(options.dataDir, 'capstan.db'),
    durability: values['capstan.durability'],
    ...nowMs,
  });
}

/**
 * Every migration of the configured dialect, in order (what a fresh store would apply),
 * read from the code alone: nothing is opened or created.
 */
export async function dialectMigrations(values: Settings): Promise<MigrationInfo[]> {
  const { listMigrations } =
    values[PROVIDER] === 'postgres'
      ? await import('./postgres/migrate.ts')
      : await import('./sqlite/migrate.ts');
  return listMigrations().map(infoOf);
}

/** The PostgreSQL connection URL the configuration names, its secret ref resolved. */
export function resolvePostgresUrl(values: Settings, env: NodeJS.ProcessEnv = process.env): string {
  const configured = values[URL_KEY];
  if (configured === undefined) throw new ConfigError([`${PROVIDER}=postgres needs ${URL_KEY}`]);
  let url: string;
  try {
    url = /^(env|file):/.test(configured) ? resolveSecretRef(configured, env) : configured;
  } catch (error) {
    // The ref's own message names the ref (env:NAME, file:/path), never a secret.
    throw new ConfigError([`${URL_KEY}: ${(error as Error).message}`]);
  }
  if (!/^postgres(ql)?:\/\/./.test(url)) {
    const what = url === configured ? 'the value' : `the value of ${configured}`;
    throw new ConfigError([`${URL_KEY}: ${what} is not a postgres:// or postgresql:// URL`]);
  }
  return url;
}

/** What the "coordinator ready" line says about the store (never the URL, which may hold a password). */
export function storeLogFields(store: OpenedStore): Record<string, string> {
  return store.dialect === 'sqlite'
    ? { store: 'sqlite', sqliteDriver: store.driver }
    : { store: 'postgres', schema: store.schema };
}
