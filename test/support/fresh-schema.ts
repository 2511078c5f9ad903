import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import pg from 'pg';

/** A fresh PostgreSQL schema name for one test, dropped (with everything in it) after the test. */
export function freshSchema(t: TestContext, url: string, prefix = 'capstan_e2e'): string {
  const schema = `${prefix}_${randomBytes(6).toString('hex')}`;
  t.after(async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    } finally {
      await client.end();
    }
  });
  return schema;
}
