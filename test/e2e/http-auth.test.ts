import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { TokenRole } from '../../src/config/access-tokens.ts';
import { CALLBACK_ROUTE } from '../../src/awaits/callback-signature.ts';
import { guardedRoutes, SURFACES, type GuardedRoute } from '../../src/http/auth.ts';
import { DOCS_PREFIX, OPENAPI_PATH } from '../../src/http/openapi.ts';
import { apiServer, TEST_TOKENS } from '../support/api-server.ts';
import { startCoordinatorProcess } from '../support/coordinator-process.ts';

const tokens = TEST_TOKENS;
const ROLES: readonly TokenRole[] = ['operator', 'admin', 'worker'];

interface Answer {
  readonly status: number;
  readonly code: string | undefined;
}

/**
 * One request over a real socket. `path` goes on the request line as given, so it may be
 * percent-encoded or absolute-form (`http://host/path`), as a hostile client would send it.
 */
function send(port: number, method: string, path: string, token?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const body = method === 'POST' ? '{}' : undefined;
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        headers: {
          ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        timeout: 10_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          let code: string | undefined;
          try {
            code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
          } catch {
            code = undefined;
          }
          resolve({ status: res.statusCode ?? 0, code });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** A concrete path for a route pattern: every `:param` filled with a plausible value. */
function concrete(url: string): string {
  const values: Record<string, string> = {
    tenantId: 'default',
    pipelineId: 'restaurant-approval',
    executionId: randomUUID(),
    releaseVersion: 'r1',
    workerId: 'w1',
  };
  return url.replace(/:([A-Za-z]+)/g, (_, name: string) => values[name] ?? 'x');
}

/**
 * Spellings of one path that a router decodes to the same route: each static segment with its
 * first letter percent-encoded (lower- and upper-case hex), and the whole path in absolute form.
 */
function spellings(path: string): string[] {
  const segments = path.split('/');
  const variants: string[] = [];
  segments.forEach((segment, i) => {
    if (segment === '' || !/^[a-z]/i.test(segment)) return;
    const hex = segment.charCodeAt(0).toString(16);
    for (const encoded of [`%${hex}`, `%${hex.toUpperCase()}`]) {
      const copy = [...segments];
      copy[i] = encoded + segment.slice(1);
      variants.push(copy.join('/'));
    }
  });
  variants.push(`http://capstan.invalid${path}`, `http://127.0.0.1${path}`);
  return variants;
}

async function guardedServer(t: test.TestContext): Promise<{ app: FastifyInstance; port: number }> {
  const app = await apiServer(t, { consoleEnabled: true });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  assert.ok(address && typeof address === 'object');
  return { app, port: address.port };
}

test('every registered route refuses a missing, wrong and wrong-role token, however its path is spelled', async (t) => {
  const { app, port } = await guardedServer(t);
  const routes = guardedRoutes(app);
  // Surfaces no role opens are public, or check a credential of their own (a signature).
  const guarded = routes.filter((r) => SURFACES[r.surface].length > 0);
  // The walk covers the whole API: a route added later is walked too, with no list to update.
  assert.ok(guarded.length >= 20, `walked ${guarded.length} guarded routes`);
  // The reference page's assets (registered by @fastify/swagger-ui) are public by their prefix.
  const publicRoutes = routes.filter((r) => r.surface === 'public').map((r) => r.url);
  assert.ok(publicRoutes.some((u) => u.startsWith(`${DOCS_PREFIX}/`)));
  assert.deepEqual(
    publicRoutes.filter((u) => u !== DOCS_PREFIX && !u.startsWith(`${DOCS_PREFIX}/`)).sort(),
    [...new Set(['/api/health', '/api/ready', '/q/health/live', OPENAPI_PATH, '/console', '/console/*'])]
      .flatMap((u) => [u, u])
      .sort(),
    'only the probes, the API description and the console pages are public (GET and its HEAD)',
  );

  const check = async (route: GuardedRoute, path: string) => {
    const what = `${route.method} ${path} (${route.surface})`;
    for (const [label, token] of [
      ['no token', undefined],
      ['a wrong token', 'not-a-token-of-this-coordinator'],
    ] as const) {
      const answer = await send(port, route.method, path, token);
      assert.equal(answer.status, 401, `${what} with ${label}`);
      if (route.method !== 'HEAD') assert.equal(answer.code, 'unauthorized', `${what} with ${label}`);
    }
    const accepted: readonly TokenRole[] = SURFACES[route.surface];
    for (const role of ROLES) {
      const answer = await send(port, route.method, path, tokens[role]);
      if (accepted.includes(role)) {
        // Let through: whatever the route then says about the request, it is not the guard's refusal.
        assert.ok(
          answer.status !== 401 && answer.status !== 403,
          `${what} with the ${role} token: ${answer.status}`,
        );
      } else {
        assert.equal(answer.status, 403, `${what} with the ${role} token`);
        if (route.method !== 'HEAD') assert.equal(answer.code, 'forbidden', `${what} with the ${role} token`);
      }
    }
  };

  // The signed callback is the webhook's completion: no token opens it, only its URL's signature.
  const signed = routes.filter((r) => r.surface === 'signed-callback');
  assert.deepEqual(
    signed.map((r) => `${r.method} ${r.url}`),
    [`POST ${CALLBACK_ROUTE}`],
  );
  for (const token of [undefined, ...ROLES.map((role) => tokens[role])]) {
    const answer = await send(port, 'POST', `${concrete(CALLBACK_ROUTE)}?expires=1&signature=forged`, token);
    assert.equal(answer.status, 403);
    assert.equal(answer.code, 'callback_signature_invalid');
  }

  // Every spelling of every route gets the same answers as the plain path: the check runs on the
  // route the router matched, whatever the request line looked like.
  for (const route of guarded) {
    const path = concrete(route.url);
    for (const spelled of [path, ...spellings(path)]) await check(route, spelled);
  }
});

test('the reviewed bypasses answer 401 on `npm start`, which binds loopback by default', async (t) => {
  const coordinator = await startCoordinatorProcess(t, { npmStart: true, defaultHost: true });
  assert.match(coordinator.output(), /listening on http:\/\/127\.0\.0\.1:\d+\n/);
  assert.doesNotMatch(coordinator.output(), /every network interface/);
  const stored = JSON.parse(readFileSync(join(coordinator.dataDir, 'tokens.json'), 'utf8')) as Record<
    TokenRole,
    string
  >;
  const port = Number(new URL(coordinator.baseUrl).port);
  const admin = '/tpf/admin/tenants/default/pipelines/restaurant-approval';
  for (const [method, path] of [
    ['GET', '/tpf/%63ontrol-plane/tenants/default/executions'],
    ['POST', `/tpf/%61dmin/tenants/default/pipelines/restaurant-approval/workers/register`],
    ['GET', '/api/%63luster/info'],
    ['GET', `http://x${admin}/releases`],
    ['GET', `http://x${admin}/workers`],
    ['POST', `http://x/tpf/control-plane/tenants/default/executions`],
  ] as const) {
    const answer = await send(port, method, path);
    assert.equal(answer.status, 401, `${method} ${path}`);
    assert.equal(answer.code, 'unauthorized', `${method} ${path}`);
  }
  // The worker token opens its own register and heartbeat and one release, nothing more.
  for (const path of [
    `${admin}/releases/active`,
    `${admin}/releases/activations`,
    `${admin}/releases`,
    `${admin}/workers`,
  ]) {
    const answer = await send(port, 'GET', path, stored.worker);
    assert.equal(answer.status, 403, `GET ${path} with the worker token`);
  }
  assert.equal((await send(port, 'GET', `${admin}/releases/active`, stored.admin)).status, 200);
  const release = await send(port, 'GET', `${admin}/releases/no-such-release`, stored.worker);
  assert.equal(release.code, 'release_not_found', 'a worker may read one release by version');
});
