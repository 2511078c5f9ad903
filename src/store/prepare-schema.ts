import type { Settings } from '../config/settings.ts';
import { assertWithinWindow, type RecordedMigration } from './migrations.ts';
import type { Store } from './store-port.ts';

/**
 * Whether a process opening this store applies pending migrations itself: always on SQLite
 * (the file is this process's alone); on PostgreSQL unless `postgres.migrate-on-start=false`
 * leaves them to `capstan migrate`.
 */
export function migratesOnStart(values: Settings, store: Pick<Store, 'dialect'>): boolean {
  return store.dialect === 'sqlite' || values['pipeline.orchestrator.postgres.migrate-on-start'];
}

/**
 * Makes the store's schema current before anything uses it: migrates when `migrate`, and
 * otherwise refuses a schema with migrations pending (it would not match the code). Either way
 * a schema a newer Capstan migrated past this code is refused (`SchemaTooNewError`) unless
 * every migration this code does not know is additive: the compatibility window of a rolling
 * upgrade. Resolves with those additive migrations ahead of this code (none, usually).
 */
export async function prepareSchema(store: Store, migrate: boolean): Promise<RecordedMigration[]> {
  const ahead = await store.migrationsAhead();
  assertWithinWindow(ahead);
  if (migrate) await store.migrate();
  else {
    const pending = await store.pendingMigrations();
    if (pending.length > 0)
      throw new Error(
        `the store's schema is not up to date: ${pending.length} migration(s) pending ` +
          `(${pending.map((m) => m.name).join(', ')}); run \`capstan migrate\` with the same configuration first`,
      );
  }
  return ahead;
}
