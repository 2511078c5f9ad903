import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { DOCS_PREFIX, OPENAPI_PATH } from '../../src/http/openapi.ts';
import { apiServer } from '../support/api-server.ts';
import { ADMIN_TOKEN } from '../support/coordinator-process.ts';

interface OpenApiDocument {
  readonly openapi: string;
  readonly paths: Record<string, Record<string, { security?: unknown[]; tags?: string[] }>>;
  readonly components: { securitySchemes: Record<string, unknown> };
}

/** A server with every surface on, and every route it registers seen through an onRoute hook. */
async function documentedServer(
  t: test.TestContext,
): Promise<{ app: FastifyInstance; routes: RouteOptions[]; document: OpenApiDocument }> {
  // The API's routes register in plugins, after this hook is in place.
  const routes: RouteOptions[] = [];
  const app = await apiServer(t, {}, (server) =>
    server.addHook('onRoute', (route) => void routes.push(route)),
  );
  await app.ready();
  const answer = await app.inject({ method: 'GET', url: OPENAPI_PATH });
  assert.equal(answer.statusCode, 200, 'the document needs no token');
  return { app, routes, document: answer.json<OpenApiDocument>() };
}

/** The document's own routes and the reference page's assets; everything else is the API. */
const isDocsRoute = (url: string) => url === OPENAPI_PATH || url.startsWith(DOCS_PREFIX);

/** A concrete path for an OpenAPI path template: every `{param}` filled with a plausible value. */
function concrete(template: string): string {
  const values: Record<string, string> = {
    tenantId: 'default',
    pipelineId: 'restaurant-approval',
    executionId: 'no-such-execution',
    releaseVersion: 'r1',
    workerId: 'w1',
  };
  return template.replace(/\{([A-Za-z]+)\}/g, (_, name: string) => values[name] ?? 'x');
}

test('the document is valid OpenAPI 3.1 and describes the bearer roles', async (t) => {
  const { document } = await documentedServer(t);
  assert.equal(document.openapi, '3.1.0');
  const result = await new Validator().validate(document as unknown as Record<string, unknown>);
  assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
  assert.ok(document.components.securitySchemes.bearer);
  const operations = Object.values(document.paths).flatMap((p) => Object.values(p));
  for (const op of operations) assert.ok(op.tags?.length === 1 && op.security !== undefined);
  const guarded = document.paths['/tpf/control-plane/tenants/{tenantId}/executions']?.post;
  assert.deepEqual(guarded?.security, [{ bearer: [] }]);
  assert.deepEqual(document.paths['/api/health']?.get?.security, []);
  // Inputs come from the zod schemas the handlers parse with.
  const submit = JSON.stringify(guarded);
  assert.match(submit, /"pipelineId"/);
  assert.match(submit, /idempotency-key/);
  // Refusals are the catalogue's envelope.
  const refused = (guarded as { responses?: Record<string, unknown> }).responses?.['4XX'];
  assert.match(JSON.stringify(refused), /"invalid_request".*"unauthorized"/);
});

test('every registered route declares a schema and is in the document', async (t) => {
  const { routes, document } = await documentedServer(t);
  const api = routes.filter((r) => !isDocsRoute(r.url));
  assert.ok(api.length >= 25, `walked ${api.length} routes`);
  for (const route of api) {
    const what = `${String(route.method)} ${route.url}`;
    const schema = route.schema;
    assert.ok(schema?.summary, `${what} declares no schema (with a summary)`);
    assert.ok(!schema.hide, `${what} is hidden from the document`);
    if (route.url.includes(':')) assert.ok(schema.params, `${what} declares no params schema`);
    const path = route.url.replace(/:([A-Za-z]+)/g, '{$1}');
    for (const method of [route.method].flat()) {
      if (method === 'HEAD') continue;
      assert.ok(document.paths[path]?.[method.toLowerCase()], `${what} is not in the document`);
    }
  }
});

test('every documented operation answers, 2xx or 4xx, never 5xx nor an unknown route', async (t) => {
  const { app, document } = await documentedServer(t);
  let called = 0;
  for (const [template, operations] of Object.entries(document.paths)) {
    for (const method of Object.keys(operations)) {
      const url = concrete(template);
      const answer = await app.inject({
        method: method.toUpperCase() as 'GET',
        url,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        ...(method === 'post' ? { payload: {} } : {}),
      });
      const what = `${method.toUpperCase()} ${url}: ${answer.statusCode} ${answer.body.slice(0, 200)}`;
      assert.ok(answer.statusCode < 500, what);
      if (answer.statusCode === 404)
        assert.notEqual(answer.json<{ error: { code: string } }>().error.code, 'route_not_found', what);
      called++;
    }
  }
  assert.ok(called >= 25, `called ${called} operations`);
});

test('the reference page renders the document, with no token', async (t) => {
  const { app } = await documentedServer(t);
  const page = await app.inject({ method: 'GET', url: DOCS_PREFIX });
  const html =
    page.statusCode === 302 ? await app.inject({ method: 'GET', url: String(page.headers.location) }) : page;
  assert.equal(html.statusCode, 200);
  assert.match(String(html.headers['content-type']), /text\/html/);
  const json = await app.inject({ method: 'GET', url: `${DOCS_PREFIX}/json` });
  assert.equal(json.statusCode, 200);
});
