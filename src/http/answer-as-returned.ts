import type { FastifyInstance } from 'fastify';

/**
 * Answers are `JSON.stringify` of what the handler returned: a route's response schemas
 * (`src/api-schema/`) describe the answer in the OpenAPI document, they never serialise it
 * (why: `openapi.ts`). Each route module sets this on the instance it registers on, so it boots
 * mounted alone too (a test's bare Fastify), where Fastify's default compiler would try to
 * build a serialiser from a zod schema and fail.
 */
export function answerAsReturned(app: FastifyInstance): void {
  app.setSerializerCompiler(() => (data: unknown) => JSON.stringify(data));
}
