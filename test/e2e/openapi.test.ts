import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { FastifyInstance, RouteOptions } from 'fastify';
import restaurant from '../../examples/restaurant-approval/pipeline.ts';
import { DOCS_PREFIX, OPENAPI_PATH } from '../../src/http/openapi.ts';
import { apiServer, apiServerOn } from '../support/api-server.ts';
import { ADMIN_TOKEN } from '../support/coordinator-process.ts';
import { startEngine } from '../support/engine-harness.ts';
import { newOrder } from '../support/restaurant-order.ts';

interface Operation {
  readonly security?: unknown[];
  readonly tags?: string[];
  readonly responses?: Record<string, { content?: Record<string, { schema?: object }> }>;
}

interface OpenApiDocument {
  readonly openapi: string;
  readonly paths: Record<string, Record<string, Operation>>;
  readonly components: { securitySchemes: Record<string, unknown> };
}

/** The document's operations, each with what names it in a failure message. */
function operationsOf(document: OpenApiDocument) {
  return Object.entries(document.paths).flatMap(([template, operations]) =>
    Object.entries(operations).map(([method, operation]) => ({ template, method, operation })),
  );
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

test('every documented operation describes its success answer with a schema', async (t) => {
  const { document } = await documentedServer(t);
  const operations = operationsOf(document);
  assert.ok(operations.length >= 25, `read ${operations.length} operations`);
  for (const { template, method, operation } of operations) {
    const what = `${method.toUpperCase()} ${template}`;
    const success = Object.entries(operation.responses ?? {}).filter(([status]) => /^2/.test(status));
    assert.ok(success.length > 0, `${what} documents no 2xx response`);
    for (const [status, response] of success) {
      const schemas = Object.values(response.content ?? {}).map((media) => media.schema);
      assert.ok(schemas.length > 0, `${what} ${status} documents no content`);
      for (const schema of schemas) assert.ok(schema, `${what} ${status} has no schema`);
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

/**
 * Over a coordinator hosting the restaurant pipeline, with an execution parked at its await
 * step, every documented operation is called with plausible input; each 2xx JSON answer must
 * validate against the response schema the document gives for it (draft 2020-12, OpenAPI
 * 3.1's dialect). The schemas are strict (`additionalProperties: false`), so a field the server
 * adds without the schema, or one the schema names and the server drops, fails here.
 */
test('every 2xx answer validates against the response schema the document gives', async (t) => {
  const engine = await startEngine(t, [restaurant]);
  const app = await apiServerOn(t, engine);
  await app.ready();
  const document = (await app.inject({ method: 'GET', url: OPENAPI_PATH })).json<OpenApiDocument>();
  const call = (method: string, url: string, payload?: object) =>
    app.inject({
      method: method.toUpperCase() as 'GET',
      url,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      ...(method === 'post' ? { payload: payload ?? {} } : {}),
    });

  // An execution parked at the approval step (an interaction is pending), one to cancel, and
  // one in the DLQ (its order's amount is refused) to re-drive.
  const tenant = '/tpf/control-plane/tenants/default';
  const submit = async (input: object) =>
    (await call('post', `${tenant}/executions`, { pipelineId: 'restaurant-approval', input })).json<{
      executionId: string;
    }>().executionId;
  const parked = await submit(newOrder());
  const cancelled = await submit(newOrder());
  const dead = await submit(newOrder({ totalAmount: '0' }));
  await engine.coordinator.tick();
  const interaction = (await call('get', `${tenant}/interactions/pending`))
    .json<{ interactionId: string; executionId: string; requestPayload: { orderId: string } }[]>()
    .find((i) => i.executionId === parked);
  assert.ok(interaction, 'an interaction is pending');
  const releaseVersion = engine.releaseVersions.get('restaurant-approval') ?? '';
  const release = (
    await call('get', `/tpf/admin/tenants/default/pipelines/restaurant-approval/releases/${releaseVersion}`)
  ).json<{ contractVersion: string }>();

  // A schedule to show, pause, resume and (last of all) delete.
  const { schedule } = await engine.coordinator.schedules.create('default', 'restaurant-approval', {
    interval: 'PT1H',
    input: newOrder(),
  });
  const values: Record<string, string> = {
    tenantId: 'default',
    pipelineId: 'restaurant-approval',
    releaseVersion,
    workerId: 'w1',
    scheduleId: schedule.scheduleId,
  };
  const bodies: Record<string, object> = {
    [`${tenant}/executions`]: { pipelineId: 'restaurant-approval', input: newOrder() },
    [`${tenant}/interactions/complete`]: {
      interactionId: interaction.interactionId,
      response: {
        accepted: {
          orderId: interaction.requestPayload.orderId,
          decidedAt: '2026-01-01T00:00:00Z',
          note: 'ok',
        },
      },
    },
    '/tpf/admin/tenants/default/pipelines/restaurant-approval/schedules': {
      cron: '*/5 * * * *',
      input: newOrder(),
      missedFirePolicy: { catchUp: { limit: 3 } },
    },
    '/tpf/admin/tenants/default/pipelines/restaurant-approval/workers/register': {
      workerId: 'w1',
      contractVersion: release.contractVersion,
      releaseVersion,
      protocol: 'rest',
      endpoint: 'http://127.0.0.1:9/pipeline',
    },
  };

  const ajv = new Ajv2020({ strict: true, allErrors: true });
  const validated: string[] = [];
  // Registration first, so the worker routes after it find the worker; deletes last.
  const rank = (o: { template: string; method: string }) =>
    (o.template.endsWith('/register') ? -1 : 0) + (o.method === 'delete' ? 1 : 0);
  const operations = operationsOf(document).sort((a, b) => rank(a) - rank(b));
  for (const { template, method, operation } of operations) {
    const executionId = template.endsWith('/cancel')
      ? cancelled
      : template.endsWith('/redrive')
        ? dead
        : parked;
    const url = template.replace(/\{([A-Za-z]+)\}/g, (_, name: string) =>
      name === 'executionId' ? executionId : (values[name] ?? 'x'),
    );
    const answer = await call(method, url, bodies[url]);
    const what = `${method.toUpperCase()} ${url}: ${answer.statusCode} ${answer.body.slice(0, 300)}`;
    assert.ok(answer.statusCode < 500, what);
    if (answer.statusCode >= 300) continue;
    const type = String(answer.headers['content-type']).split(';')[0] ?? '';
    const schema = operation.responses?.[String(answer.statusCode)]?.content?.[type]?.schema;
    assert.ok(schema, `${what}: the document gives no schema for ${answer.statusCode} ${type}`);
    if (type !== 'application/json') continue;
    const validate = ajv.compile(schema);
    assert.ok(validate(answer.json()), `${what}\n${JSON.stringify(validate.errors, null, 2)}`);
    validated.push(`${method.toUpperCase()} ${template}`);
  }
  // Most operations succeed on this data. The rest answer 4xx: registering a release (no body),
  // and the hosted release's artifact and activation (a local pipeline stores no artifact).
  assert.ok(validated.length >= 24, `validated ${validated.length}: ${validated.join(', ')}`);
  assert.equal(
    validated.filter((v) => v.includes('/schedules')).length,
    7,
    `every schedule operation answered 2xx: ${validated.join(', ')}`,
  );
});
