// Regenerates src/store/postgres/schema.snapshot.sql from the migrations, in a throwaway schema:
//   CAPSTAN_TEST_POSTGRES_URL=postgres://… node --import tsx scripts/update-postgres-schema-snapshot.ts
// Run it after adding a PostgreSQL migration; test/store/postgres-store.test.ts compares the two.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { migrate, schemaSnapshot } from '../src/store/postgres/migrate.ts';

const connectionString = process.env.CAPSTAN_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const target = fileURLToPath(new URL('../src/store/postgres/schema.snapshot.sql', import.meta.url));
const schema = `capstan_snapshot_${randomBytes(6).toString('hex')}`;
const pool = new pg.Pool({ connectionString, max: 1, options: `-c search_path=${schema}` });
try {
  await migrate(pool, schema, 0);
  writeFileSync(target, await schemaSnapshot(pool, schema));
} finally {
  await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await pool.end();
}
console.log(`wrote ${target}`);
