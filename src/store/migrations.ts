import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Whether code that predates a migration still runs correctly on the schema it produces,
 * beside code that knows it: the compatibility window of a rolling upgrade.
 *
 * - additive: new tables, nullable (or defaulted) columns no older code must write, indexes.
 *   Nodes of the previous version keep serving while a newer node applies it, and may start
 *   on a schema that has it.
 * - breaking: older code would misread or miswrite the schema (a column it must fill, a table
 *   it must keep in step, a meaning that changed). Every node must run code that knows it: a
 *   node that does not refuses to start (`schema_too_new`).
 */
export const MigrationCompatibility = { ADDITIVE: 'additive', BREAKING: 'breaking' } as const;
export type MigrationCompatibility = (typeof MigrationCompatibility)[keyof typeof MigrationCompatibility];

/** A migration as the code knows it. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly compatibility: MigrationCompatibility;
  readonly sql: string;
}

/** A migration as `schema_migrations` records it; null compatibility: recorded before it was kept. */
export interface RecordedMigration {
  readonly version: number;
  readonly name: string;
  readonly compatibility: MigrationCompatibility | null;
}

/** What a migration is listed as (pending, applied): the file without its SQL. */
export type MigrationInfo = Omit<Migration, 'sql'>;

const HEADER = /^-- compatibility: (additive|breaking)\r?\n/;

/**
 * The numbered, forward-only migrations in `dir` (`NNN_name.sql`), in order. Each file opens
 * with `-- compatibility: additive` or `-- compatibility: breaking`; one without it is a
 * mistake of the code, caught when the migrations are first read.
 */
export function readMigrations(dir: string): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{3}_.+\.sql$/.test(f))
    .sort()
    .map((name) => {
      const sql = readFileSync(join(dir, name), 'utf8');
      const declared = HEADER.exec(sql)?.[1] as MigrationCompatibility | undefined;
      if (!declared)
        throw new Error(
          `${name} does not open with "-- compatibility: additive" or "-- compatibility: breaking"`,
        );
      return { version: Number(name.slice(0, 3)), name, compatibility: declared, sql };
    });
}

export const infoOf = ({ version, name, compatibility }: Migration): MigrationInfo => ({
  version,
  name,
  compatibility,
});

/** The recorded migrations this code does not know: a newer Capstan applied them. */
export function migrationsAhead(
  recorded: readonly RecordedMigration[],
  known: readonly Migration[],
): RecordedMigration[] {
  const versions = new Set(known.map((m) => m.version));
  return recorded.filter((m) => !versions.has(m.version)).sort((a, b) => a.version - b.version);
}

/** A record read from `schema_migrations` (its compatibility column may not exist yet). */
export function recordedMigration(row: {
  version: number;
  name: string;
  compatibility?: string | null;
}): RecordedMigration {
  const c = row.compatibility;
  return {
    version: Number(row.version),
    name: row.name,
    compatibility: c === 'additive' || c === 'breaking' ? c : null,
  };
}

/**
 * Thrown when the schema holds a migration this code does not know and that is not additive
 * (or whose compatibility was never recorded): this code cannot run on it. Stable code
 * `schema_too_new`; nothing was applied.
 */
export class SchemaTooNewError extends Error {
  readonly code = 'schema_too_new';
  readonly ahead: readonly RecordedMigration[];

  constructor(ahead: readonly RecordedMigration[]) {
    const blocking = ahead.filter((m) => m.compatibility !== 'additive');
    super(
      `the schema holds ${blocking.length} migration(s) this Capstan does not know and cannot run beside ` +
        `(${blocking.map((m) => `${m.name}: ${m.compatibility ?? 'compatibility not recorded'}`).join(', ')}); ` +
        'run the Capstan version that applied them, or a newer one',
    );
    this.name = 'SchemaTooNewError';
    this.ahead = ahead;
  }
}

/** Throws `SchemaTooNewError` unless every migration ahead of this code is additive. */
export function assertWithinWindow(ahead: readonly RecordedMigration[]): void {
  if (ahead.some((m) => m.compatibility !== 'additive')) throw new SchemaTooNewError(ahead);
}
