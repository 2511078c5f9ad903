import { resolve } from 'node:path';
import type { Command } from 'commander';
import { CliError } from '../../errors/cli-error.ts';
import { clientFrom, withConnectionOptions, type ConnectionFlags } from '../connection.ts';

interface StoreFlags {
  dataDir?: string;
  postgresUrl?: string;
  schema: string;
  json?: boolean;
}

/** Exactly one of `--data-dir` (SQLite) and `--postgres-url`. */
function storeOf(options: StoreFlags): { sqlite: string } | { postgres: string } {
  if (options.dataDir !== undefined && options.postgresUrl !== undefined)
    throw new CliError('invalid_argument', 'give --data-dir (SQLite) or --postgres-url, not both');
  if (options.postgresUrl !== undefined) {
    if (!/^postgres(ql)?:\/\/./.test(options.postgresUrl))
      throw new CliError('invalid_argument', '--postgres-url is not a postgres:// or postgresql:// URL');
    return { postgres: options.postgresUrl };
  }
  if (options.dataDir === undefined)
    throw new CliError('invalid_argument', 'give --data-dir or --postgres-url');
  return { sqlite: resolve(options.dataDir) };
}

/** A store error as the CLI reports it: its stable code, no stack. */
async function reported<T>(work: () => Promise<T>): Promise<T> {
  const { BackupError } = await import('../../store/backup.ts');
  try {
    return await work();
  } catch (error) {
    if (error instanceof BackupError) throw new CliError(error.code, error.message);
    throw error;
  }
}

function printSummary(
  json: boolean | undefined,
  verb: string,
  where: string,
  summary: { bytes: number; executions: number; migrationLevel: number },
): void {
  if (json) console.log(JSON.stringify({ [verb]: where, ...summary }, null, 2));
  else
    console.log(
      `${verb} ${where}: ${summary.bytes} bytes, ${summary.executions} executions, migration ${summary.migrationLevel}`,
    );
}

/** `capstan backup` and `capstan restore` (docs/backup-and-restore.md). */
export function backupCommands(program: Command): void {
  withConnectionOptions(
    program
      .command('backup')
      .description('Back the store up into a file: SQLite online (while serving) or PostgreSQL with pg_dump')
      .option('--data-dir <dir>', 'the SQLite data directory to back up')
      .option('--postgres-url <url>', 'the PostgreSQL database to back up (pg_dump --format=custom)')
      .option('--schema <name>', 'the PostgreSQL schema', 'capstan')
      .requiredOption('--out <file>', 'the backup file to write (must not exist)')
      .option('--json', 'print {wrote, bytes, executions, migrationLevel} as JSON'),
  ).action(async (options: StoreFlags & ConnectionFlags & { out: string }) => {
    const store = storeOf(options);
    const out = resolve(options.out);
    const summary = await reported(async () => {
      const backup = await import('../../store/backup.ts');
      if ('postgres' in store) return backup.backupPostgresSchema(store.postgres, options.schema, out);
      // A serving coordinator is asked over its admin API, its tokens read from the data directory.
      const ask = async () =>
        (await clientFrom(options, { ...process.env, CAPSTAN_DATA_DIR: store.sqlite }).backupOnline()).file;
      return backup.backupSqliteDataDir(store.sqlite, out, ask);
    });
    printSummary(options.json, 'wrote', out, summary);
    if (!options.json && 'online' in summary && summary.online)
      console.log('copied online by the coordinator serving the data directory');
  });
  program
    .command('restore')
    .description(
      'Restore a backup into an empty SQLite data directory or PostgreSQL schema (coordinator stopped)',
    )
    .requiredOption('--from <file>', 'the backup file')
    .option('--data-dir <dir>', 'the SQLite data directory to restore into (must be empty)')
    .option('--postgres-url <url>', 'the PostgreSQL database to restore into (pg_restore)')
    .option('--schema <name>', 'the PostgreSQL schema (the one the backup holds)', 'capstan')
    .option('--force', 'replace what the target holds')
    .option('--json', 'print {restored, bytes, executions, migrationLevel} as JSON')
    .action(async (options: StoreFlags & { from: string; force?: boolean }) => {
      const store = storeOf(options);
      const from = resolve(options.from);
      const summary = await reported(async () => {
        const backup = await import('../../store/backup.ts');
        if ('postgres' in store)
          return backup.restorePostgresSchema(from, store.postgres, options.schema, options.force === true);
        return backup.restoreSqliteDataDir(from, store.sqlite, options.force === true);
      });
      const where = 'postgres' in store ? `schema ${options.schema}` : store.sqlite;
      printSummary(options.json, 'restored', where, summary);
    });
}
