import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Coordinator } from '../../coordinator/coordinator.ts';
import { answerAsReturned } from '../answer-as-returned.ts';
import type { Surface } from '../auth.ts';
import { workerSchema, workersSchema } from '../../api-schema/workers.ts';
import { workerDto } from '../dto.ts';
import { opaqueId, pipelineId } from '../ids.ts';
import { parseOr400 } from '../parse.ts';

const pipelineParams = z.object({ tenantId: z.string(), pipelineId });
const workerParams = pipelineParams.extend({ workerId: opaqueId() });
const registerBody = z.object({
  workerId: opaqueId(),
  contractVersion: opaqueId(),
  releaseVersion: opaqueId(),
  protocol: z.enum([
    'local',
    'rest',
    'grpc',
    'queue',
    'sqs',
    'pull',
    'LOCAL',
    'REST',
    'GRPC',
    'QUEUE',
    'SQS',
    'PULL',
  ]),
  endpoint: z.string().min(1).max(2000),
  artifactId: opaqueId().nullish(),
  artifactDigest: z
    .string()
    .regex(/^sha256:[0-9a-f]{64}$/)
    .nullish(),
});
const listQuery = z.object({
  contractVersion: opaqueId().optional(),
  releaseVersion: opaqueId().optional(),
});

/** What each route takes and answers, for the OpenAPI document; the handlers parse with the same schemas. */
const schemas = {
  register: {
    summary: 'Register a worker',
    description:
      'Moving an existing worker to another endpoint takes an admin token or a signed registration.',
    params: pipelineParams,
    body: registerBody,
    response: { 200: workerSchema },
  },
  heartbeat: { summary: "A worker's heartbeat", params: workerParams, response: { 200: workerSchema } },
  drain: { summary: 'Drain a worker (no new work)', params: workerParams, response: { 200: workerSchema } },
  undrain: { summary: 'Undrain a worker', params: workerParams, response: { 200: workerSchema } },
  list: {
    summary: 'Workers and their lifecycle state',
    params: pipelineParams,
    querystring: listQuery,
    response: { 200: workersSchema },
  },
} as const;

/**
 * Worker lifecycle (admin role; register and heartbeat also take a worker token). Each worker
 * is one current-state row; the routing table follows at once, so a drained worker gets no
 * new work. A registration names an allowed endpoint (403), and moves an existing worker only
 * with an admin token or a signed registration (409 otherwise).
 */
export function workerRoutes(
  app: FastifyInstance,
  coordinator: Coordinator,
  tenantOf: (raw: string) => string,
): void {
  answerAsReturned(app);
  const base = '/tpf/admin/tenants/:tenantId/pipelines/:pipelineId/workers';
  const { lifecycle, workerRegistration: policy } = coordinator;

  // A worker registers and heartbeats itself with the worker token; drain and undrain are the operator's call.
  const workerCall: { config: { surface: Surface } } = { config: { surface: 'worker-lifecycle' } };
  const admin: { config: { surface: Surface } } = { config: { surface: 'admin' } };

  app.post(`${base}/register`, { ...workerCall, schema: schemas.register }, async (request) => {
    const p = parseOr400(pipelineParams, request.params, 'path');
    const tenantId = tenantOf(p.tenantId);
    const b = parseOr400(registerBody, request.body ?? {}, 'worker registration');
    // The coordinator never calls a pull worker: its endpoint is a label, not a place to send to.
    // A queue worker's endpoint names a queue on the coordinator's own broker, not an address.
    const protocol = b.protocol.toLowerCase();
    if (protocol !== 'pull' && protocol !== 'queue') policy.checkEndpoint(b.endpoint);
    // A worker token may register a new worker, or an existing one where it already is; moving
    // one elsewhere takes an admin token or a registration signed with the worker protocol's key.
    const signed = policy.isSigned({
      method: request.method,
      path: request.url.split('?')[0] ?? '',
      headers: request.headers,
      body: request.body ?? {},
    });
    const worker = await lifecycle.register(
      tenantId,
      p.pipelineId,
      {
        ...b,
        protocol: b.protocol.toLowerCase(),
        artifactId: b.artifactId ?? undefined,
        artifactDigest: b.artifactDigest ?? undefined,
      },
      // `callerRole` is the role the route guard let in with (see auth.ts).
      { mayChangeEndpoint: signed || request.callerRole === 'admin' },
    );
    await coordinator.syncWorkerAvailability({ tenantId, pipelineId: p.pipelineId });
    return workerDto(worker);
  });

  for (const [action, type, options] of [
    ['heartbeat', 'HEARTBEAT', workerCall],
    ['drain', 'DRAIN', admin],
    ['undrain', 'UNDRAIN', admin],
  ] as const) {
    app.post(`${base}/:workerId/${action}`, { ...options, schema: schemas[action] }, async (request) => {
      const p = parseOr400(workerParams, request.params, 'path');
      const tenantId = tenantOf(p.tenantId);
      const worker = await lifecycle.signal(tenantId, p.pipelineId, p.workerId, type);
      await coordinator.syncWorkerAvailability({ tenantId, pipelineId: p.pipelineId });
      return workerDto(worker);
    });
  }

  app.get(base, { ...admin, schema: schemas.list }, async (request) => {
    const p = parseOr400(pipelineParams, request.params, 'path');
    const q = parseOr400(listQuery, request.query, 'query');
    return (await lifecycle.list(tenantOf(p.tenantId), p.pipelineId, q)).map(workerDto);
  });
}
