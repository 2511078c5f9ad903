import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { missedFirePolicySchema, scheduleSchema, schedulesSchema } from '../../api-schema/schedules.ts';
import type { Coordinator } from '../../coordinator/coordinator.ts';
import type { MissedFirePolicy } from '../../domain/missed-fire.ts';
import { answerAsReturned } from '../answer-as-returned.ts';
import { opaqueId, pipelineId, plainText } from '../ids.ts';
import { parseOr400 } from '../parse.ts';
import { scheduleDto } from '../schedule-dto.ts';

const tenantParams = z.object({ tenantId: z.string() });
const pipelineParams = tenantParams.extend({ pipelineId });
const scheduleParams = tenantParams.extend({ scheduleId: opaqueId() });

/**
 * A new schedule: exactly one of `cron` and `interval` (checked by the coordinator, which
 * answers `schedule_invalid`, as it does for an expression croner cannot read).
 */
const createBody = z
  .object({
    cron: plainText(200).optional().describe('A cron expression: five fields, or six with seconds first.'),
    timezone: plainText(100)
      .optional()
      .describe('The IANA zone the cron expression is read in; default UTC.'),
    interval: plainText(50).optional().describe('An ISO-8601 duration (PT10M), at least PT1S.'),
    input: z.unknown().refine((v) => v !== undefined, 'an input is required'),
    missedFirePolicy: missedFirePolicySchema.optional().describe('Default `skip`.'),
    idempotencyKeyPrefix: opaqueId(200)
      .optional()
      .describe(
        "The executions' idempotency keys are `<prefix>:<slot ISO>`; default `schedule:<scheduleId>`.",
      ),
    paused: z.boolean().optional().describe('Create it paused; default false.'),
  })
  .strict();

const policyOf = (p: z.output<typeof missedFirePolicySchema> | undefined): MissedFirePolicy | undefined =>
  p === undefined
    ? undefined
    : typeof p === 'string'
      ? { kind: p }
      : { kind: 'catch_up', limit: p.catchUp.limit };

/** What each route takes and answers, for the OpenAPI document; the handlers parse with the same schemas. */
const schemas = {
  create: {
    summary: 'Create a schedule',
    description:
      'A cron or interval schedule of the pipeline; the maintenance leader fires each slot once (docs/schedules.md).',
    params: pipelineParams,
    body: createBody,
    response: { 201: scheduleSchema },
  },
  listOfPipeline: {
    summary: "A pipeline's schedules",
    params: pipelineParams,
    response: { 200: schedulesSchema },
  },
  list: { summary: "The tenant's schedules", params: tenantParams, response: { 200: schedulesSchema } },
  get: { summary: 'One schedule', params: scheduleParams, response: { 200: scheduleSchema } },
  pause: {
    summary: 'Pause a schedule',
    description: 'No slot fires while paused; slots that pass meanwhile are missed.',
    params: scheduleParams,
    response: { 200: scheduleSchema },
  },
  resume: {
    summary: 'Resume a schedule',
    description: 'The slots missed while it was paused are handled by its missed-fire policy.',
    params: scheduleParams,
    response: { 200: scheduleSchema },
  },
  delete: {
    summary: 'Delete a schedule',
    description: 'Answers the schedule as it was; the executions it started stay.',
    params: scheduleParams,
    response: { 200: scheduleSchema },
  },
} as const;

/** Schedules (admin role): create and list per pipeline; show, pause, resume and delete by id. */
export function scheduleRoutes(
  app: FastifyInstance,
  coordinator: Coordinator,
  tenantOf: (raw: string) => string,
): void {
  answerAsReturned(app);
  const admin = { config: { surface: 'admin' } } as const;
  const tenantBase = '/tpf/admin/tenants/:tenantId';
  const ofPipeline = `${tenantBase}/pipelines/:pipelineId/schedules`;
  const one = `${tenantBase}/schedules/:scheduleId`;
  const { schedules } = coordinator;

  app.post(ofPipeline, { ...admin, schema: schemas.create }, async (request, reply) => {
    const p = parseOr400(pipelineParams, request.params, 'path');
    const tenantId = tenantOf(p.tenantId);
    const body = parseOr400(createBody, request.body ?? {}, 'schedule');
    const created = await schedules.create(tenantId, p.pipelineId, {
      ...body,
      missedFirePolicy: policyOf(body.missedFirePolicy),
    });
    return reply.code(201).send(scheduleDto(created));
  });

  app.get(ofPipeline, { ...admin, schema: schemas.listOfPipeline }, async (request) => {
    const p = parseOr400(pipelineParams, request.params, 'path');
    return (await schedules.list(tenantOf(p.tenantId), p.pipelineId)).map(scheduleDto);
  });

  app.get(`${tenantBase}/schedules`, { ...admin, schema: schemas.list }, async (request) => {
    const p = parseOr400(tenantParams, request.params, 'path');
    return (await schedules.list(tenantOf(p.tenantId), undefined)).map(scheduleDto);
  });

  app.get(one, { ...admin, schema: schemas.get }, async (request) => {
    const p = parseOr400(scheduleParams, request.params, 'path');
    return scheduleDto(await schedules.get(tenantOf(p.tenantId), p.scheduleId));
  });

  for (const verb of ['pause', 'resume'] as const) {
    app.post(`${one}/${verb}`, { ...admin, schema: schemas[verb] }, async (request) => {
      const p = parseOr400(scheduleParams, request.params, 'path');
      return scheduleDto(await schedules.setPaused(tenantOf(p.tenantId), p.scheduleId, verb === 'pause'));
    });
  }

  app.delete(one, { ...admin, schema: schemas.delete }, async (request) => {
    const p = parseOr400(scheduleParams, request.params, 'path');
    return scheduleDto(await schedules.delete(tenantOf(p.tenantId), p.scheduleId));
  });
}
