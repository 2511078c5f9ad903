import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import pg from 'pg';
import { postgresUrl } from './postgres-server.ts';

/** A database of its own, created with `synchronous_commit = off` as its default; dropped after. */
export async function databaseWithAsyncCommit(t: TestContext): Promise<string> {
  const serverUrl = await postgresUrl();
  const name = `capstan_async_${randomBytes(5).toString('hex')}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  t.after(() => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  await admin(`ALTER DATABASE ${name} SET synchronous_commit = off`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
