import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { checkSchemaName } from '../schema-name.ts';
import { listMigrations } from './migrate.ts';
import { BackupError, type BackupSummary } from '../backup-error.ts';

const run = promisify(execFile);

/** Where pg_dump and pg_restore are looked for: PATH, then the Debian/Ubuntu server packages. */
function findTool(name: 'pg_dump' | 'pg_restore', env: NodeJS.ProcessEnv = process.env): string {
  const dirs = [
    ...(env.PATH ?? '').split(delimiter),
    '/usr/lib/postgresql/16/bin',
    '/usr/lib/postgresql/15/bin',
  ];
  for (const dir of dirs.filter(Boolean)) {
    const file = join(dir, name);
    if (existsSync(file)) return file;
  }
  throw new BackupError('pg_tools_missing', `${name} was not found on PATH nor in /usr/lib/postgresql/*/bin`);
}

async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
  } catch (error) {
    throw new BackupError('store_unreachable', `PostgreSQL cannot be reached: ${(error as Error).message}`);
  }
  try {
    return await use(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function tableCount(client: pg.Client, schema: string): Promise<number> {
  const { rows } = await client.query<{ n: string }>(
    'SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = $1',
    [schema],
  );
  return Number(rows[0]?.n ?? 0);
}

async function summaryOf(client: pg.Client, schema: string, bytes: number): Promise<BackupSummary> {
  const q = (sql: string) => client.query<{ n: string }>(sql).then((r) => Number(r.rows[0]?.n ?? 0));
  const executions = await q(`SELECT count(*) AS n FROM "${schema}".executions`);
  const migrationLevel = await q(`SELECT coalesce(max(version), 0) AS n FROM "${schema}".schema_migrations`);
  return { bytes, executions, migrationLevel };
}

/** `pg_dump --format=custom` of Capstan's schema into `out`; the source keeps serving (MVCC snapshot). */
export async function backupPostgres(url: string, schemaName: string, out: string): Promise<BackupSummary> {
  const schema = checkSchemaName(schemaName);
  const counted = await withClient(url, async (client) => {
    if ((await tableCount(client, schema)) === 0)
      throw new BackupError('backup_source_not_found', `schema ${schema} holds no Capstan tables`);
    return summaryOf(client, schema, 0);
  });
  const tool = findTool('pg_dump');
  try {
    await run(tool, ['--format=custom', `--schema=${schema}`, '--no-owner', `--file=${out}`, url]);
  } catch (error) {
    throw new BackupError(
      'backup_failed',
      `pg_dump failed: ${String((error as { stderr?: string }).stderr ?? error).trim()}`,
    );
  }
  return { ...counted, bytes: statSync(out).size };
}

/**
 * `pg_restore` of a `backupPostgres` file into the database of `url`, whose schema must be
 * absent or empty (with `force`, it is dropped first). Returns what the restored schema holds.
 */
export async function restorePostgres(
  from: string,
  url: string,
  schemaName: string,
  force: boolean,
): Promise<BackupSummary> {
  const schema = checkSchemaName(schemaName);
  const restoreTool = findTool('pg_restore');
  try {
    // A custom-format archive lists its contents; anything else is refused before touching the target.
    const { stdout } = await run(restoreTool, ['--list', from]);
    if (!new RegExp(`SCHEMA - ${schema} `).test(stdout) && !stdout.includes(`TABLE ${schema} executions`))
      throw new BackupError('not_a_backup', `${from} holds no Capstan schema named ${schema}`);
  } catch (error) {
    if (error instanceof BackupError) throw error;
    throw new BackupError('not_a_backup', `${from} is not a pg_dump custom-format archive`);
  }
  await withClient(url, async (client) => {
    if ((await tableCount(client, schema)) > 0 && !force)
      throw new BackupError(
        'restore_target_not_empty',
        `schema ${schema} already holds tables (use --force)`,
      );
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  });
  try {
    await run(restoreTool, ['--no-owner', '--exit-on-error', `--dbname=${url}`, from]);
  } catch (error) {
    throw new BackupError(
      'restore_failed',
      `pg_restore failed: ${String((error as { stderr?: string }).stderr ?? error).trim()}`,
    );
  }
  const restored = await withClient(url, (client) => summaryOf(client, schema, statSync(from).size));
  const known = Math.max(0, ...listMigrations().map((m) => m.version));
  if (restored.migrationLevel > known)
    throw new BackupError(
      'newer_schema',
      `schema ${schema} was restored at migration ${restored.migrationLevel}, newer than this Capstan (${known}): run a Capstan that knows it`,
    );
  return restored;
}
