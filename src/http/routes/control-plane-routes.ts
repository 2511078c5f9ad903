import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Coordinator } from '../../coordinator/coordinator.ts';
import { CapstanError } from '../../errors/catalog.ts';
import { decodeEnvelope, encodeEnvelope, payloadEnvelopeSchema } from '../../payloads/tpf-envelope.ts';
import type { PipelineContract } from '../../releases/pipeline-contract.ts';
import type { ExecutionRecord } from '../../store/records.ts';
import { executionStatusDto, interactionDto } from '../dto.ts';
import { parseOr400 } from '../parse.ts';

const tenantParams = z.object({ tenantId: z.string() });
const executionParams = tenantParams.extend({ executionId: z.string().min(1).max(200) });

const submitBody = z.object({
  pipelineId: z.string().min(1).max(200),
  input: z.unknown().optional(),
  inputShape: z.enum(['UNI', 'MULTI', 'RAW']).optional(),
  inputPayload: payloadEnvelopeSchema.optional(),
  idempotencyKey: z.string().min(1).max(512).optional(),
  outputStreaming: z.boolean().optional(),
});

const resultQuery = z.object({ waitMs: z.coerce.number().int().min(0).max(60_000).default(0) });
const historyQuery = z.object({
  afterSeq: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
const pendingQuery = z.object({
  assignee: z.string().min(1).optional(),
  group: z.string().min(1).optional(),
  stepId: z.string().min(1).optional(),
  limit: z.coerce
    .number()
    .int()
    .default(100)
    .transform((n) => Math.min(1000, Math.max(1, n))),
});
const completeBody = z.object({
  interactionId: z.string().min(1).nullish(),
  correlationId: z.string().min(1).nullish(),
  resumeToken: z.string().min(1).nullish(),
  idempotencyKey: z.string().min(1).max(512).nullish(),
  response: z.unknown().optional(),
  responsePayload: payloadEnvelopeSchema.nullish(),
  actor: z.string().max(200).nullish(),
});

/** The control plane (operator role): submit, status, result, history, cancel, the await inbox. */
export function controlPlaneRoutes(
  app: FastifyInstance,
  coordinator: Coordinator,
  tenantOf: (raw: string) => string,
): void {
  const base = '/tpf/control-plane/tenants/:tenantId';
  const status = (x: ExecutionRecord) => executionStatusDto(x, coordinator.hasWorkerFor(x));

  app.post(`${base}/executions`, async (request) => {
    const tenantId = tenantOf(parseOr400(tenantParams, request.params, 'path').tenantId);
    const body = parseOr400(submitBody, request.body ?? {}, 'submit request');
    if (body.outputStreaming)
      throw new CapstanError('invalid_request', 'Streaming outputs are not supported; poll the result.');
    if (body.inputPayload === undefined && body.input === undefined) {
      throw new CapstanError('invalid_request', 'One of input or inputPayload is required.');
    }
    const input = body.inputPayload ? decodeEnvelope(body.inputPayload) : body.input;
    const header = request.headers['idempotency-key'];
    const idempotencyKey =
      body.idempotencyKey ?? (typeof header === 'string' && header.length > 0 ? header : undefined);
    const { execution, duplicate } = await coordinator.submit(tenantId, {
      pipelineId: body.pipelineId,
      input,
      idempotencyKey,
    });
    return {
      executionId: execution.executionId,
      duplicate,
      statusUrl: `/tpf/control-plane/tenants/${tenantId}/executions/${execution.executionId}`,
      submittedAtEpochMs: execution.createdAtMs,
      pipelineId: execution.pipelineId,
      contractVersion: execution.contractVersion,
      releaseVersion: execution.releaseVersion,
    };
  });

  app.get(`${base}/executions/:executionId`, async (request) => {
    const p = parseOr400(executionParams, request.params, 'path');
    return status(await coordinator.status(tenantOf(p.tenantId), p.executionId));
  });

  app.get(`${base}/executions/:executionId/result`, async (request) => {
    const p = parseOr400(executionParams, request.params, 'path');
    const { waitMs } = parseOr400(resultQuery, request.query, 'query');
    const execution = await coordinator.awaitSettled(tenantOf(p.tenantId), p.executionId, waitMs);
    if (execution.status !== 'SUCCEEDED')
      return { status: status(execution), result: null, resultPayload: null };
    const validators = await coordinator.catalog.validatorsFor(
      execution.tenantId,
      execution.pipelineId,
      execution.releaseVersion,
    );
    const contract: PipelineContract | undefined = validators?.contract;
    const lastStep = contract?.steps[contract.steps.length - 1]?.stepId ?? 'result';
    return {
      status: status(execution),
      result: execution.result,
      resultPayload: encodeEnvelope(`capstan.${execution.pipelineId}.${lastStep}.output`, execution.result),
    };
  });

  app.get(`${base}/executions/:executionId/history`, async (request) => {
    const p = parseOr400(executionParams, request.params, 'path');
    const q = parseOr400(historyQuery, request.query, 'query');
    const events = await coordinator.history(tenantOf(p.tenantId), p.executionId, q.afterSeq, q.limit);
    return {
      events: events.map((e) => ({ seq: e.seq, type: e.type, atEpochMs: e.atMs, data: e.data })),
      nextAfterSeq: events.length === q.limit ? events[events.length - 1]?.seq : null,
    };
  });

  app.post(`${base}/executions/:executionId/cancel`, async (request) => {
    const p = parseOr400(executionParams, request.params, 'path');
    return status(await coordinator.cancel(tenantOf(p.tenantId), p.executionId));
  });

  app.get(`${base}/interactions/pending`, async (request) => {
    const tenantId = tenantOf(parseOr400(tenantParams, request.params, 'path').tenantId);
    const q = parseOr400(pendingQuery, request.query, 'query');
    return (await coordinator.pendingInteractions(tenantId, q)).map(interactionDto);
  });

  app.post(`${base}/interactions/complete`, async (request) => {
    const tenantId = tenantOf(parseOr400(tenantParams, request.params, 'path').tenantId);
    const body = parseOr400(completeBody, request.body ?? {}, 'completion request');
    if (!body.interactionId && !body.correlationId) {
      throw new CapstanError(
        'invalid_request',
        body.resumeToken
          ? 'Resume tokens are not issued by this coordinator; complete by interactionId or correlationId.'
          : 'One of interactionId or correlationId is required.',
      );
    }
    if (body.responsePayload == null && body.response === undefined) {
      throw new CapstanError('invalid_request', 'One of response or responsePayload is required.');
    }
    const response = body.responsePayload ? decodeEnvelope(body.responsePayload) : body.response;
    const { interaction, duplicate } = await coordinator.completeInteraction(tenantId, {
      interactionId: body.interactionId ?? undefined,
      correlationId: body.correlationId ?? undefined,
      response,
      idempotencyKey: body.idempotencyKey ?? undefined,
      actor: body.actor ?? undefined,
    });
    return {
      interactionId: interaction.interactionId,
      executionId: interaction.executionId,
      stepId: interaction.stepId,
      status: interaction.status,
      duplicate,
    };
  });
}
