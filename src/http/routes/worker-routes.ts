import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TokenRole } from '../../config/access-tokens.ts';
import { z } from 'zod';
import type { Coordinator } from '../../coordinator/coordinator.ts';
import type { WorkerRecord } from '../../workers/worker-lifecycle.ts';
import { parseOr400 } from '../parse.ts';

const pipelineParams = z.object({
  tenantId: z.string(),
  pipelineId: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,127}$/i, 'a pipeline id'),
});
const workerParams = pipelineParams.extend({ workerId: z.string().min(1).max(200) });
const registerBody = z.object({
  workerId: z.string().min(1).max(200),
  contractVersion: z.string().min(1),
  releaseVersion: z.string().min(1),
  protocol: z.enum(['local', 'rest', 'grpc', 'sqs', 'pull', 'LOCAL', 'REST', 'GRPC', 'SQS', 'PULL']),
  endpoint: z.string().min(1).max(2000),
  artifactId: z.string().min(1).nullish(),
  artifactDigest: z
    .string()
    .regex(/^sha256:[0-9a-f]{64}$/)
    .nullish(),
});
const listQuery = z.object({
  contractVersion: z.string().min(1).optional(),
  releaseVersion: z.string().min(1).optional(),
});

/** A worker as the admin API returns it (TPF's `PipelineWorkerRecord`), its state computed now. */
function workerDto(w: WorkerRecord) {
  return {
    tenantId: w.tenantId,
    pipelineId: w.pipelineId,
    workerId: w.workerId,
    contractVersion: w.contractVersion,
    releaseVersion: w.releaseVersion,
    protocol: w.protocol,
    endpoint: w.endpoint,
    artifactId: w.artifactId ?? null,
    artifactDigest: w.artifactDigest ?? null,
    state: w.state,
    registeredAtEpochMs: w.registeredAtMs,
    lastHeartbeatAtEpochMs: w.lastHeartbeatAtMs,
    drainingSinceEpochMs: w.drainingSinceMs,
  };
}

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
  /** The authenticated caller's role (the request has passed authorization already). */
  roleOf: (request: FastifyRequest) => TokenRole | undefined,
): void {
  const base = '/tpf/admin/tenants/:tenantId/pipelines/:pipelineId/workers';
  const { lifecycle, workerRegistration: policy } = coordinator;

  app.post(`${base}/register`, async (request) => {
    const p = parseOr400(pipelineParams, request.params, 'path');
    const tenantId = tenantOf(p.tenantId);
    const b = parseOr400(registerBody, request.body ?? {}, 'worker registration');
    policy.checkEndpoint(b.endpoint);
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
      { mayChangeEndpoint: signed || roleOf(request) === 'admin' },
    );
    await coordinator.syncWorkerAvailability({ tenantId, pipelineId: p.pipelineId });
    return workerDto(worker);
  });

  for (const [action, type] of [
    ['heartbeat', 'HEARTBEAT'],
    ['drain', 'DRAIN'],
    ['undrain', 'UNDRAIN'],
  ] as const) {
    app.post(`${base}/:workerId/${action}`, async (request) => {
      const p = parseOr400(workerParams, request.params, 'path');
      const tenantId = tenantOf(p.tenantId);
      const worker = await lifecycle.signal(tenantId, p.pipelineId, p.workerId, type);
      await coordinator.syncWorkerAvailability({ tenantId, pipelineId: p.pipelineId });
      return workerDto(worker);
    });
  }

  app.get(base, async (request) => {
    const p = parseOr400(pipelineParams, request.params, 'path');
    const q = parseOr400(listQuery, request.query, 'query');
    return (await lifecycle.list(tenantOf(p.tenantId), p.pipelineId, q)).map(workerDto);
  });
}
