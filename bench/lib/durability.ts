/**
 * The durability settings the runs had, read back rather than assumed: SQLite through a store
 * opened exactly as `capstan serve` opens it, PostgreSQL from the server the runs use.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { loadConfig } from '../../src/config/load-config.ts';
import { openStore } from '../../src/store/open-store.ts';
import type { StoreKind } from './options.ts';

export async function durabilitySettings(kind: StoreKind, pgUrl: string): Promise<Record<string, string>> {
  return kind === 'sqlite' ? sqliteSettings() : postgresSettings(pgUrl);
}

async function sqliteSettings(): Promise<Record<string, string>> {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-bench-durability-'));
  try {
    const { values } = loadConfig({ env: {}, flags: {} });
    const store = await openStore(values, { dataDir: dir });
    try {
      const observed = await store.durabilitySettings();
      const driver = store.dialect === 'sqlite' ? store.driver : 'unknown';
      return { 'capstan.durability': values['capstan.durability'], ...observed, driver };
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const PG_SETTINGS = [
  'server_version',
  'synchronous_commit',
  'fsync',
  'full_page_writes',
  'wal_sync_method',
  'commit_delay',
  'shared_buffers',
  'max_connections',
];

async function postgresSettings(url: string): Promise<Record<string, string>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const r = await client.query<{ name: string; setting: string; unit: string | null }>(
      'SELECT name, setting, unit FROM pg_settings WHERE name = ANY($1)',
      [PG_SETTINGS],
    );
    return Object.fromEntries(r.rows.map((x) => [x.name, x.unit ? `${x.setting} × ${x.unit}` : x.setting]));
  } finally {
    await client.end();
  }
}
