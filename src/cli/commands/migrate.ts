import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { renderTable } from '../output.ts';
import { configOptions, flagsOf } from '../command-options.ts';
import type { MigrationInfo, RecordedMigration } from '../../store/migrations.ts';

interface MigrateOptions {
  config?: string;
  dataDir?: string;
  set?: string[];
  status?: boolean;
  json?: boolean;
}

/** What `capstan migrate` prints with `--json`. */
export interface MigrateReport {
  readonly store: 'sqlite' | 'postgres';
  /** Where: the SQLite data directory, or the PostgreSQL URL with its password masked. */
  readonly target: string;
  /** The PostgreSQL schema (absent for SQLite). */
  readonly schema?: string;
  /** The migrations applied by this run (absent with `--status`). */
  readonly applied?: readonly MigrationInfo[];
  /** The migrations still pending after this run (with `--status`: what a run would apply). */
  readonly pending: readonly MigrationInfo[];
  /**
   * Migrations a newer Capstan applied that this one does not know, all additive (any other
   * refuses the command with `schema_too_new`): this version may still run on the schema.
   */
  readonly ahead: readonly RecordedMigration[];
}

/**
 * `capstan migrate`: applies the configured store's pending migrations (the same configuration
 * `serve` reads), so coordinators can start with `postgres.migrate-on-start=false`. `--status`
 * lists what is pending and applies nothing. Each migration says whether it is additive (nodes
 * of the previous version keep running beside it) or breaking; a schema holding a migration
 * this Capstan does not know that is not additive is refused (`schema_too_new`, exit 78).
 */
export function migrateCommand(program: Command): void {
  program
    .command('migrate')
    .description(
      'Apply the configured store’s pending schema migrations (state-provider sqlite or postgres), or list them with --status',
    )
    .option(...configOptions.config)
    .option(...configOptions.dataDir)
    .option(...configOptions.set)
    .option('--status', 'list the pending migrations without applying them')
    .option('--json', 'print {store, target, schema?, applied?, pending, ahead} as JSON')
    .action(async (options: MigrateOptions) => {
      const report = await runMigrate(options);
      console.log(options.json ? JSON.stringify(report, null, 2) : renderReport(report));
    });
}

export async function runMigrate(options: MigrateOptions): Promise<MigrateReport> {
  // Loaded on demand: the configuration schema (zod, yaml) is not what `capstan --version` needs.
  const { loadConfig } = await import('../../config/load-config.ts');
  const { values } = loadConfig({ file: options.config, flags: flagsOf(options) });
  const dataDir = resolve(values['capstan.data-dir']);
  const sqliteFile = join(dataDir, 'capstan.db');
  if (
    options.status &&
    values['pipeline.orchestrator.state-provider'] === 'sqlite' &&
    !existsSync(sqliteFile)
  ) {
    // Nothing to open: every migration is pending, and a status check creates no database.
    const { dialectMigrations } = await import('../../store/open-store.ts');
    const pending = await dialectMigrations(values);
    return { store: 'sqlite', target: `SQLite ${sqliteFile}`, pending, ahead: [] };
  }
  // The stores (and their drivers) load only when this command runs, so other commands start fast.
  const { openStore } = await import('../../store/open-store.ts');
  const { assertWithinWindow } = await import('../../store/migrations.ts');
  const { firstContact, schemaTooNew, storeTarget, unreachable } = await import('../store-errors.ts');
  const store = await openStore(values, { dataDir });
  const target = storeTarget(values, store, dataDir);
  const where = {
    store: store.dialect,
    target,
    ...(store.dialect === 'postgres' ? { schema: store.schema } : {}),
  };
  try {
    const ahead = await firstContact(store, store.migrationsAhead(), target);
    assertWithinWindow(ahead);
    const pending = await store.pendingMigrations();
    if (options.status) return { ...where, pending, ahead };
    const versions = await store.migrate();
    return {
      ...where,
      applied: pending.filter((m) => versions.includes(m.version)),
      pending: await store.pendingMigrations(),
      ahead,
    };
  } catch (error) {
    throw schemaTooNew(error, target) ?? unreachable(store, error, target) ?? error;
  } finally {
    // Bounded: a pool still waiting for a connection would hold the exit up.
    const closing = store.close().catch(() => undefined);
    await Promise.race([closing, new Promise((done) => setTimeout(done, 5000).unref())]);
  }
}

function renderReport(report: MigrateReport): string {
  const ahead =
    report.ahead.length === 0
      ? ''
      : `\n${report.ahead.length} migration(s) ahead of this Capstan, all additive: it may run on this schema\n${table(report.ahead)}`;
  return `${summary(report)}${ahead}`;
}

function summary(report: MigrateReport): string {
  const where = report.target;
  if (report.applied === undefined) {
    if (report.pending.length === 0) return `schema is up to date: ${where}`;
    return `${report.pending.length} pending migration(s) in ${where}:\n${table(report.pending)}`;
  }
  if (report.applied.length === 0) return `schema is up to date: ${where}`;
  return `applied ${report.applied.length} migration(s) to ${where}:\n${table(report.applied)}`;
}

const table = (migrations: readonly (MigrationInfo | RecordedMigration)[]): string =>
  renderTable(migrations, [
    { header: 'version', value: (m) => m.version },
    { header: 'name', value: (m) => m.name },
    { header: 'compatibility', value: (m) => m.compatibility ?? 'not recorded' },
  ]);
