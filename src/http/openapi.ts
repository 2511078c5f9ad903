import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifySchema } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errorEnvelopeSchema } from '../api-schema/errors.ts';
import { buildInfo } from '../build/build-info.ts';
import { errorCatalog, type ErrorCode } from '../errors/catalog.ts';
import { answerAsReturned } from './answer-as-returned.ts';
import { SURFACES, type Surface } from './auth.ts';

/** Where the rendered reference page and its assets live; public, like the document. */
export const DOCS_PREFIX = '/api/docs';
export const OPENAPI_PATH = '/api/openapi.json';

/** What each surface's bearer token must be, as the document tells a reader. */
const SURFACE_NOTES: Record<Surface, string> = {
  public: 'No token.',
  'control-plane': 'Bearer token of role operator or admin.',
  metrics: 'Bearer token of role operator or admin (or none on capstan.metrics.port when set).',
  admin: 'Bearer token of role admin.',
  'worker-lifecycle': 'Bearer token of role worker or admin.',
  discovery: 'Bearer token of any role (operator, admin or worker).',
  'signed-callback': 'No token: the signed callback URL (its `signature` and `expires`) is the credential.',
};

/**
 * The refusal envelope every route answers with (the shared schema of `api-schema/errors.ts`),
 * its `code` narrowed to the catalogue's codes of that status range.
 */
function errorResponse(from: number, to: number) {
  const codes = (Object.keys(errorCatalog) as ErrorCode[]).filter((code) => {
    const status = errorCatalog[code].status;
    return status >= from && status < to;
  });
  const envelope = errorEnvelopeSchema.extend({
    error: errorEnvelopeSchema.shape.error.extend({ code: z.enum(codes) }),
  });
  const { $schema: _dialect, ...schema } = z.toJSONSchema(envelope, {
    target: 'draft-2020-12',
    io: 'output',
  });
  return {
    description: 'Refused: the code is stable (docs/errors.md), the message is for people.',
    ...schema,
  };
}

/**
 * Routes declare their zod schemas (`schema: { params, querystring, body, headers, response }`)
 * so the document is generated from what the handlers validate with and answer. Validation
 * itself stays in the handlers (`parseOr400` with the same schema objects): it runs after the
 * route guard and the tenant check, in the order the error catalogue's tests pin, and answers in
 * the catalogue's envelope. So Fastify's own validation is a pass-through here.
 *
 * Response schemas document, they do not serialise: an answer is `JSON.stringify` of what the
 * handler returned, byte for byte what it was before responses were declared. Serialising
 * through the schema (the provider's `serializerCompiler`) would parse every answer with zod —
 * a cost on the hot routes (submit, a 1000-item list page) — strip any field a schema missed
 * from what TPF clients read, and turn a schema slip into a 500. Instead the handlers' DTOs are
 * typed by the same schemas (`z.output`), so the compiler holds them to the document, and the
 * OpenAPI e2e test validates every 2xx answer against it.
 */
function declaredSchemasOnly(app: FastifyInstance): void {
  app.setValidatorCompiler(() => (value: unknown) => ({ value }));
  answerAsReturned(app);
}

/**
 * Adds the OpenAPI 3.1 generator (`@fastify/swagger`, zod schemas converted by
 * `fastify-type-provider-zod`), `GET /api/openapi.json` and the reference page at `/api/docs`.
 * Must be registered before the routes it documents (they register in a later plugin).
 */
export function installOpenApi(app: FastifyInstance): void {
  declaredSchemasOnly(app);
  void app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Capstan coordinator API',
        version: buildInfo().version,
        description:
          'The TPF-compatible control plane, admin, worker-lifecycle and discovery surfaces of a Capstan ' +
          'coordinator. Every refusal is `{"error":{"code","message","details"?}}` with a code from the ' +
          'error catalogue (docs/errors.md). Validation runs in the handlers, after the token check.',
      },
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description:
              'One of the coordinator tokens (CAPSTAN_OPERATOR_TOKEN, CAPSTAN_ADMIN_TOKEN, CAPSTAN_WORKER_TOKEN). ' +
              'Roles: operator opens control-plane; admin opens every surface; worker opens ' +
              'worker-lifecycle; any role opens discovery. Each operation names what it needs.',
          },
        },
      },
      tags: (Object.keys(SURFACES) as Surface[]).map((name) => ({ name, description: SURFACE_NOTES[name] })),
    },
    transform: (input) => {
      const transformed = jsonSchemaTransform(input);
      const surface = input.route.config?.surface;
      if (surface === undefined) return transformed;
      const schema = transformed.schema as FastifySchema & Record<string, unknown>;
      return {
        ...transformed,
        schema: {
          ...schema,
          tags: [surface],
          description: [schema.description, SURFACE_NOTES[surface]].filter(Boolean).join('\n\n'),
          security: SURFACES[surface].length === 0 ? [] : [{ bearer: [] }],
          response: {
            ...(schema.response as object | undefined),
            '4xx': errorResponse(400, 500),
            '5xx': errorResponse(500, 600),
          },
        },
      };
    },
    transformObject: jsonSchemaTransformObject,
  });
  void app.register(swaggerUi, { routePrefix: DOCS_PREFIX });
  void app.register(async (scope) => {
    scope.get(OPENAPI_PATH, { config: { surface: 'public' }, schema: { hide: true } }, async () =>
      scope.swagger(),
    );
  });
}
