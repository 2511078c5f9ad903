import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import { installAccessLog } from '../../src/http/access-log.ts';
import type { Logger } from '../../src/runtime/logger.ts';

/** A logger that keeps its debug lines, and says which levels it writes as pino does. */
function capturing(debug: boolean): Logger & { lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  return {
    lines,
    debug: (obj) => void lines.push(obj as Record<string, unknown>),
    info() {},
    warn() {},
    error() {},
    isLevelEnabled: (level) => level !== 'debug' || debug,
  };
}

async function serve(logger: Logger) {
  const app = Fastify({ logger: false });
  installAccessLog(app, logger);
  app.get('/items/:id', async () => ({ ok: true }));
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, address };
}

test('one debug line per answered request: method, route template, status, duration; no raw URL, headers or body', async (t) => {
  const logger = capturing(true);
  const { app, address } = await serve(logger);
  t.after(() => app.close());

  await (
    await fetch(`${address}/items/secret-id?token=abc`, { headers: { authorization: 'Bearer tok' } })
  ).text();
  await (await fetch(`${address}/nowhere`)).text();

  assert.equal(logger.lines.length, 2);
  const [hit, miss] = logger.lines;
  assert.deepEqual(
    { ...hit, durationMs: typeof hit?.durationMs },
    { event: 'http.request', method: 'GET', route: '/items/:id', status: 200, durationMs: 'number' },
  );
  assert.equal(miss?.status, 404);
  assert.equal(miss?.route, '(no route)');
  const text = JSON.stringify(logger.lines);
  for (const leak of ['secret-id', 'abc', 'tok']) assert.ok(!text.includes(leak), `${leak} was logged`);
});

test('a server that writes no debug lines adds no hook', async (t) => {
  const logger = capturing(false);
  const { app, address } = await serve(logger);
  t.after(() => app.close());
  await (await fetch(`${address}/items/1`)).text();
  assert.equal(logger.lines.length, 0);
});
