/**
 * The bodies of the coordinator's HTTP API as zod schemas, one module per resource. Neutral
 * ground: they import zod alone, so the server (its DTOs and the OpenAPI document), and
 * `capstan/client` (their inferred types only, no zod at run time) share one definition.
 */
export * from './cluster.ts';
export * from './errors.ts';
export * from './executions.ts';
export * from './interactions.ts';
export * from './releases.ts';
export * from './workers.ts';
export * from './pull-workers.ts';
export * from './schedules.ts';
export * from './dlq.ts';
