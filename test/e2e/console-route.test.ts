import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Fastify from 'fastify';
import { consoleRoutes } from '../../src/http/routes/console-routes.ts';
import {
  ADMIN_TOKEN,
  apiClient,
  OPERATOR_TOKEN,
  startCoordinatorProcess,
} from '../support/coordinator-process.ts';

function builtConsole(t: test.TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-console-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>console</title>');
  writeFileSync(join(dir, 'assets/app-1.js'), 'export {};');
  return dir;
}

test('the console route serves its files, index.html for every other path, and nothing outside', async (t) => {
  const app = Fastify();
  consoleRoutes(app, builtConsole(t));
  t.after(() => app.close());
  const get = (url: string) => app.inject(url);

  const page = await get('/console');
  assert.equal(page.statusCode, 200);
  assert.match(String(page.headers['content-type']), /^text\/html/);
  assert.equal(page.headers['cache-control'], 'no-cache');
  assert.equal(page.headers['x-frame-options'], 'DENY');
  assert.match(String(page.headers['content-security-policy']), /default-src 'self'/);

  const script = await get('/console/assets/app-1.js');
  assert.equal(script.statusCode, 200);
  assert.match(String(script.headers['content-type']), /^text\/javascript/);
  assert.match(String(script.headers['cache-control']), /immutable/);

  // The single-page app's own paths, missing files and escapes all get index.html.
  for (const url of [
    '/console/',
    '/console/executions/x',
    '/console/assets/missing.js',
    '/console/..%2f..%2fpackage.json',
    '/console/assets/..%2f..%2f..%2f..%2fetc%2fpasswd',
    '/console/%25',
  ]) {
    const answer = await get(url);
    assert.equal(answer.statusCode, 200, url);
    assert.equal(answer.body, '<!doctype html><title>console</title>', url);
  }
});

test('without built assets the console answers 503 with how to build it, not a crash', async (t) => {
  const app = Fastify();
  consoleRoutes(app, undefined);
  t.after(() => app.close());
  for (const url of ['/console', '/console/executions/x']) {
    const answer = await app.inject(url);
    assert.equal(answer.statusCode, 503);
    assert.match(String(answer.headers['content-type']), /^text\/html/);
    assert.match(answer.body, /npm run build/);
  }
});

test('a served coordinator: the console on by default, off with capstan.console.enabled, whoami tells the role', async (t) => {
  const on = await startCoordinatorProcess(t);
  const page = await fetch(`${on.baseUrl}/console`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<div id="app">/);
  const whoami = (token: string | null) => apiClient(on.baseUrl, token).call('GET', '/api/whoami');
  assert.deepEqual((await whoami(OPERATOR_TOKEN)).body, { role: 'operator' });
  assert.deepEqual((await whoami(ADMIN_TOKEN)).body, { role: 'admin' });
  assert.equal((await whoami('not-a-token')).status, 401);
  assert.equal((await whoami(null)).status, 401);

  // Off by setting; and one token configured for both operator and admin is admin.
  const off = await startCoordinatorProcess(t, {
    env: {
      CAPSTAN_CONSOLE_ENABLED: 'false',
      PIPELINE_ORCHESTRATOR_CONTROL_PLANE_ADMIN_TOKEN_REF: 'env:TEST_ADMIN_TOKEN',
    },
  });
  assert.equal((await fetch(`${off.baseUrl}/console`)).status, 404);
  const both = await apiClient(off.baseUrl, ADMIN_TOKEN).call('GET', '/api/whoami');
  assert.deepEqual(both.body, { role: 'admin' });
});
