import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  completionAnswerSchema,
  leaseHeartbeatAnswerSchema,
  pollAnswerSchema,
  type CompletionAnswer,
  type LeaseHeartbeatAnswer,
  type PollAnswer,
} from '../../api-schema/pull-workers.ts';
import type { Coordinator } from '../../coordinator/coordinator.ts';
import { answerAsReturned } from '../answer-as-returned.ts';
import type { Surface } from '../auth.ts';
import { opaqueId } from '../ids.ts';
import type { LongPollGate } from '../long-poll-gate.ts';
import { parseOr400 } from '../parse.ts';

/** The longest a poll waits for work; a worker wanting longer polls again. */
export const MAX_PULL_WAIT_MS = 60_000;
/** The most segments one poll may ask for. */
export const MAX_PULL_SEGMENTS = 100;

const workerParams = z.object({ tenantId: z.string(), workerId: opaqueId() });
const segmentParams = workerParams.extend({ executionId: opaqueId() });
const leaseEpoch = z.number().int().min(0);
const pollBody = z.object({
  /** What the worker can run now: its free slots. */
  max: z.number().int().min(1).max(MAX_PULL_SEGMENTS),
  waitMs: z.number().int().min(0).max(MAX_PULL_WAIT_MS).default(30_000),
});
const completeBody = z.object({
  leaseEpoch,
  /** The transition result envelope, as a REST or gRPC worker answers it. */
  result: z.record(z.string(), z.unknown()),
});
const heartbeatBody = z.object({
  leases: z
    .array(z.object({ executionId: opaqueId(), leaseEpoch }))
    .min(1)
    .max(MAX_PULL_SEGMENTS),
});

/** What each route takes and answers, for the OpenAPI document; the handlers parse with the same schemas. */
const schemas = {
  poll: {
    summary: 'Claim segments for a pull worker (long-poll)',
    description:
      'Claims up to `max` due segments of the releases the worker is registered for (protocol `pull`), waiting up to `waitMs` for some.',
    params: workerParams,
    body: pollBody,
    response: { 200: pollAnswerSchema },
  },
  complete: {
    summary: "Report a pulled segment's result",
    description:
      'Committed under the lease epoch it was claimed with; a lease no longer held is 409 `lease_epoch_stale`.',
    params: segmentParams,
    body: completeBody,
    response: { 200: completionAnswerSchema },
  },
  heartbeat: {
    summary: "Extend a pull worker's leases",
    params: workerParams,
    body: heartbeatBody,
    response: { 200: leaseHeartbeatAnswerSchema },
  },
} as const;

/**
 * The pull worker API (docs/pull-workers.md), on the worker token: a worker asks any node for
 * what it can run, keeps the leases by heartbeat, and reports each result with its lease
 * epoch. Every call reads and writes the store only, so no call needs the node of another.
 */
export function pullWorkerRoutes(
  app: FastifyInstance,
  coordinator: Coordinator,
  tenantOf: (raw: string) => string,
  limits: { readonly longPolls: LongPollGate },
): void {
  answerAsReturned(app);
  const base = '/tpf/admin/tenants/:tenantId/workers/:workerId';
  const workerCall: { config: { surface: Surface } } = { config: { surface: 'worker-lifecycle' } };
  const leaseDurationMs = coordinator.config.leaseMs;

  app.post(`${base}/segments/poll`, { ...workerCall, schema: schemas.poll }, async (request, reply) => {
    const p = parseOr400(workerParams, request.params, 'path');
    const tenantId = tenantOf(p.tenantId);
    const b = parseOr400(pollBody, request.body ?? {}, 'poll request');
    const segments = await limits.longPolls.run(reply, b.waitMs, (waitMs, signal) =>
      coordinator.pull.poll(tenantId, p.workerId, { max: b.max, waitMs, signal }),
    );
    const answer: PollAnswer = {
      segments: segments.map((s) => ({
        executionId: s.executionId,
        leaseEpoch: s.leaseEpoch,
        leaseExpiresAtEpochMs: s.leaseExpiresAtMs,
        command: s.command,
      })),
      leaseDurationMs,
    };
    return answer;
  });

  app.post(
    `${base}/segments/:executionId/complete`,
    { ...workerCall, schema: schemas.complete },
    async (request) => {
      const p = parseOr400(segmentParams, request.params, 'path');
      const b = parseOr400(completeBody, request.body ?? {}, 'completion');
      const { status } = await coordinator.pull.complete(tenantOf(p.tenantId), p.workerId, {
        executionId: p.executionId,
        leaseEpoch: b.leaseEpoch,
        result: b.result,
      });
      const answer: CompletionAnswer = { executionId: p.executionId, status };
      return answer;
    },
  );

  app.post(`${base}/leases/heartbeat`, { ...workerCall, schema: schemas.heartbeat }, async (request) => {
    const p = parseOr400(workerParams, request.params, 'path');
    const b = parseOr400(heartbeatBody, request.body ?? {}, 'lease heartbeat');
    const leases = await coordinator.pull.heartbeat(tenantOf(p.tenantId), p.workerId, b.leases);
    const answer: LeaseHeartbeatAnswer = {
      leases: leases.map((l) => ({
        executionId: l.executionId,
        leaseEpoch: l.leaseEpoch,
        held: l.held,
        leaseExpiresAtEpochMs: l.leaseExpiresAtMs,
      })),
      leaseDurationMs,
    };
    return answer;
  });
}
