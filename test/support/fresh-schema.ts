import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';

/** PostgreSQL's code for a transaction it chose as a deadlock victim. */
const DEADLOCK = '40P01';

/**
 * A fresh PostgreSQL schema name for one test, dropped (with everything in it) after the test.
 * `t.after` hooks run in the order they were registered, so the drop may run while the test's
 * coordinator processes still work in the schema: a drop picked as a deadlock victim against
 * one of them is tried again.
 */
export function freshSchema(t: TestContext, url: string, prefix = 'capstan_e2e'): string {
  const schema = `${prefix}_${randomBytes(6).toString('hex')}`;
  t.after(async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
          return;
        } catch (error) {
          if ((error as { code?: string }).code !== DEADLOCK || attempt >= 10) throw error;
          await sleep(100 * attempt);
        }
      }
    } finally {
      await client.end();
    }
  });
  return schema;
}
