/**
 * A fresh store for one scenario run: an empty data directory (the SQLite file goes there), and
 * on PostgreSQL also an empty schema. Both are removed by `dispose`, so no run sees another's rows.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { StoreKind } from './options.ts';

export interface StoreTarget {
  readonly kind: StoreKind;
  readonly dataDir: string;
  /** Configuration keys (as `serve --set` takes them) that point a coordinator at this store. */
  readonly settings: Readonly<Record<string, string>>;
  dispose(): Promise<void>;
}

export function freshTarget(kind: StoreKind, pgUrl: string, label: string): StoreTarget {
  const dataDir = mkdtempSync(join(tmpdir(), `capstan-bench-${label}-`));
  const removeDir = (): void => rmSync(dataDir, { recursive: true, force: true });
  if (kind === 'sqlite') {
    // Durability as Capstan ships it: nothing set, so capstan.durability=full (WAL, synchronous=FULL).
    return { kind, dataDir, settings: {}, dispose: async () => removeDir() };
  }
  const schema = `bench_${label}_${randomBytes(4).toString('hex')}`;
  return {
    kind,
    dataDir,
    settings: {
      'pipeline.orchestrator.state-provider': 'postgres',
      'pipeline.orchestrator.postgres.url': pgUrl,
      'pipeline.orchestrator.postgres.schema': schema,
    },
    dispose: async () => {
      removeDir();
      const client = new pg.Client({ connectionString: pgUrl });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}
