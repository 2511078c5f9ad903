import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Coordinator } from '../../coordinator/coordinator.ts';
import { answerAsReturned } from '../answer-as-returned.ts';
import { ExecutionStatus } from '../../domain/execution-status.ts';
import { CapstanError } from '../../errors/catalog.ts';
import { decodeEnvelope, encodeEnvelope, payloadEnvelopeSchema } from '../../payloads/tpf-envelope.ts';
import type { ExecutionRecord } from '../../store/records.ts';
import {
  executionPageSchema,
  executionResultSchema,
  executionStatusSchema,
  historyPageSchema,
  interactionsSchema,
  awaitAdmissionSchema,
  completionSchema,
  pipelineSummariesSchema,
  submittedSchema,
  type ExecutionPage,
  type ExecutionResultBody,
  type HistoryPage,
} from '../../api-schema/index.ts';
import {
  awaitAdmissionDto,
  completionDto,
  executionStatusDto,
  historyEventDto,
  interactionDto,
  pipelineDto,
  submittedDto,
} from '../dto.ts';
import { idempotencyKey, opaqueId, pipelineId, plainText } from '../ids.ts';
import type { LongPollGate } from '../long-poll-gate.ts';
import { parseOr400 } from '../parse.ts';

const tenantParams = z.object({ tenantId: z.string() });
const executionParams = tenantParams.extend({ executionId: opaqueId() });

const submitBody = z.object({
  pipelineId,
  input: z.unknown().optional(),
  inputShape: z.enum(['UNI', 'MULTI', 'RAW']).optional(),
  inputPayload: payloadEnvelopeSchema.optional(),
  idempotencyKey: idempotencyKey.optional(),
  outputStreaming: z.boolean().optional(),
});

/** The longest a result long-poll waits; a client wanting longer polls again. */
export const MAX_RESULT_WAIT_MS = 60_000;
const resultQuery = z.object({
  waitMs: z.coerce.number().int().min(0).max(MAX_RESULT_WAIT_MS).default(0),
  /** settled: terminal or parked at an await step (TPF's behaviour); terminal: through parks. */
  until: z.enum(['settled', 'terminal']).default('settled'),
});
const historyQuery = z.object({
  afterSeq: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
const pendingQuery = z.object({
  assignee: opaqueId().optional(),
  group: opaqueId().optional(),
  stepId: opaqueId().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
const EXECUTION_STATUSES = Object.values(ExecutionStatus) as [ExecutionStatus, ...ExecutionStatus[]];
const epochMs = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const listQuery = z.object({
  /** One status, several comma-separated, or the parameter repeated. */
  status: z
    .preprocess(
      (v) =>
        typeof v === 'string' || Array.isArray(v) ? [v].flat().flatMap((s) => String(s).split(',')) : v,
      z.array(z.enum(EXECUTION_STATUSES)).min(1),
    )
    .optional(),
  pipelineId: pipelineId.optional(),
  releaseVersion: opaqueId().optional(),
  errorCode: opaqueId().optional(),
  /** The items (child executions) of this parent (docs/items.md). */
  parentExecutionId: opaqueId().optional(),
  /** The executions a schedule started (docs/schedules.md). */
  scheduleId: opaqueId().optional(),
  /** Created at or after (epoch ms, inclusive). */
  createdFrom: epochMs.optional(),
  /** Created before (epoch ms, exclusive). */
  createdTo: epochMs.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().min(1).max(1000).optional(),
});

/** The keyset position after a page's last execution, opaque to clients: base64url JSON. */
const listCursor = z.object({ c: z.number().int().min(0), i: opaqueId() }).strict();

function encodeCursor(x: ExecutionRecord): string {
  return Buffer.from(JSON.stringify({ c: x.createdAtMs, i: x.executionId })).toString('base64url');
}

function decodeCursor(cursor: string): { createdAtMs: number; executionId: string } {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    decoded = undefined;
  }
  const parsed = listCursor.safeParse(decoded);
  if (!parsed.success)
    throw new CapstanError('invalid_request', 'Invalid cursor: pass the nextCursor of the previous page.', {
      parameter: 'cursor',
      issues: [{ path: '/cursor', message: 'not a cursor this API returned as nextCursor' }],
    });
  return { createdAtMs: parsed.data.c, executionId: parsed.data.i };
}

const completeBody = z.object({
  interactionId: opaqueId().nullish(),
  correlationId: opaqueId(512).nullish(),
  resumeToken: z.string().min(1).max(4096).nullish(),
  idempotencyKey: idempotencyKey.nullish(),
  response: z.unknown().optional(),
  responsePayload: payloadEnvelopeSchema.nullish(),
  actor: plainText(200).nullish(),
});

/** The `Idempotency-Key` header, held to the same shape as the body's key. */
const idempotencyHeader = z.object({ 'idempotency-key': idempotencyKey.optional() });

/**
 * What each route takes and answers, declared on the route for the OpenAPI document; the
 * handlers parse with these same schemas (`parseOr400`), so the document and the validation
 * cannot drift, and their answers are typed by the response schemas (see `http/openapi.ts`).
 */
const schemas = {
  submit: {
    summary: 'Submit an execution',
    description:
      'One of `input` or `inputPayload` is required. An `Idempotency-Key` header stands in for the body key.',
    params: tenantParams,
    headers: idempotencyHeader,
    body: submitBody,
    response: { 200: submittedSchema },
  },
  list: {
    summary: 'List executions',
    description: 'Newest first, keyset-paged: pass `nextCursor` as `cursor` for the next page.',
    params: tenantParams,
    querystring: listQuery,
    response: { 200: executionPageSchema },
  },
  status: {
    summary: "One execution's status",
    params: executionParams,
    response: { 200: executionStatusSchema },
  },
  result: {
    summary: "An execution's result",
    description:
      'With `waitMs`, long-polls until the execution settles (or is terminal, with `until=terminal`).',
    params: executionParams,
    querystring: resultQuery,
    response: { 200: executionResultSchema },
  },
  history: {
    summary: "An execution's journal",
    params: executionParams,
    querystring: historyQuery,
    response: { 200: historyPageSchema },
  },
  cancel: {
    summary: 'Cancel an execution',
    params: executionParams,
    response: { 200: executionStatusSchema },
  },
  pipelines: {
    summary: 'Pipelines with a registered release',
    params: tenantParams,
    response: { 200: pipelineSummariesSchema },
  },
  pending: {
    summary: 'Pending interactions (the await inbox)',
    params: tenantParams,
    querystring: pendingQuery,
    response: { 200: interactionsSchema },
  },
  admission: {
    summary: 'Await admission budgets',
    description:
      'For each await step with an admission budget: the budget, the interactions outstanding (never above it) and those waiting to be admitted.',
    params: tenantParams,
    response: { 200: awaitAdmissionSchema },
  },
  complete: {
    summary: 'Complete a pending interaction',
    description: 'By `interactionId` or `correlationId`, with `response` or `responsePayload`.',
    params: tenantParams,
    body: completeBody,
    response: { 200: completionSchema },
  },
} as const;

export interface ControlPlaneLimits {
  /** Bounds the result long-polls waiting at once. */
  readonly longPolls: LongPollGate;
  /** Submissions per second per tenant on this node; 0 sets no limit. */
  readonly submitRatePerSecond: number;
}

/** The control plane (operator role): submit, list, status, result, history, cancel, the await inbox. */
export async function controlPlaneRoutes(
  app: FastifyInstance,
  coordinator: Coordinator,
  tenantOf: (raw: string) => string,
  limits: ControlPlaneLimits,
): Promise<void> {
  answerAsReturned(app);
  const base = '/tpf/control-plane/tenants/:tenantId';
  /** The names of the steps of the release an execution is pinned to (cached by the catalogue). */
  const stepIds = async (x: ExecutionRecord) =>
    (await coordinator.contractOf(x))?.steps.map((step) => step.stepId) ?? [];
  const stepIdOf = async (x: ExecutionRecord) => (await stepIds(x))[x.stepIndex] ?? null;
  const status = async (x: ExecutionRecord) =>
    executionStatusDto(x, coordinator.hasWorkerFor(x), { stepId: await stepIdOf(x) });
  /** One execution's status with the stack of the failure it records, when one was kept. */
  const detailed = async (x: ExecutionRecord) =>
    executionStatusDto(x, coordinator.hasWorkerFor(x), {
      stepId: await stepIdOf(x),
      errorStack: await coordinator.failureStack(x),
    });
  const surface = { surface: 'control-plane' } as const;
  const submitLimit =
    limits.submitRatePerSecond > 0 ? await submitRateLimit(app, limits.submitRatePerSecond) : {};

  app.post(
    `${base}/executions`,
    { config: { ...surface, ...submitLimit }, schema: schemas.submit },
    async (request) => {
      const tenantId = tenantOf(parseOr400(tenantParams, request.params, 'path').tenantId);
      const body = parseOr400(submitBody, request.body ?? {}, 'submit request');
      if (body.outputStreaming)
        throw new CapstanError('invalid_request', 'Streaming outputs are not supported; poll the result.');
      if (body.inputPayload === undefined && body.input === undefined) {
        throw new CapstanError('invalid_request', 'One of input or inputPayload is required.');
      }
      const input = body.inputPayload ? decodeEnvelope(body.inputPayload) : body.input;
      const header = parseOr400(idempotencyHeader, request.headers, 'Idempotency-Key header');
      const { execution, duplicate } = await coordinator.submit(tenantId, {
        pipelineId: body.pipelineId,
        input,
        idempotencyKey: body.idempotencyKey ?? header['idempotency-key'],
        // A client's W3C trace context: the submit span joins its trace (ignored when malformed).
        traceparent:
          typeof request.headers.traceparent === 'string' ? request.headers.traceparent : undefined,
      });
      return submittedDto(tenantId, execution, duplicate);
    },
  );

  app.get(
    `${base}/executions`,
    { config: surface, schema: schemas.list },
    async (request): Promise<ExecutionPage> => {
      const tenantId = tenantOf(parseOr400(tenantParams, request.params, 'path').tenantId);
      const q = parseOr400(listQuery, request.query, 'query');
      const items = await coordinator.listExecutions(tenantId, {
        statuses: q.status,
        pipelineId: q.pipelineId,
        releaseVersion: q.releaseVersion,
        errorCode: q.errorCode,
        parentExecutionId: q.parentExecutionId,
        scheduleId: q.scheduleId,
        createdFromMs: q.createdFrom,
        createdToMs: q.createdTo,
        after: q.cursor === undefined ? undefined : decodeCursor(q.cursor),
        limit: q.limit,
      });
      const last = items[items.length - 1];
      return {
        items: await Promise.all(items.map(status)),
        // A full page may have more behind it; the next request says (an empty page ends the walk).
        nextCursor: last && items.length === q.limit ? encodeCursor(last) : null,
      };
    },
  );

  app.get(`${base}/executions/:executionId`, { config: surface, schema: schemas.status }, async (request) => {
    const p = parseOr400(executionParams, request.params, 'path');
    return await detailed(await coordinator.status(tenantOf(p.tenantId), p.executionId));
  });

  app.get(
    `${base}/executions/:executionId/result`,
    { config: surface, schema: schemas.result },
    async (request, reply): Promise<ExecutionResultBody> => {
      const p = parseOr400(executionParams, request.params, 'path');
      const tenantId = tenantOf(p.tenantId);
      const { waitMs, until } = parseOr400(resultQuery, request.query, 'query');
      const execution = await limits.longPolls.run(reply, waitMs, (wait, signal) =>
        coordinator.awaitSettled(tenantId, p.executionId, wait, signal, until),
      );
      if (execution.status !== 'SUCCEEDED')
        return { status: await detailed(execution), result: null, resultPayload: null };
      const contract = await coordinator.contractOf(execution);
      const lastStep = contract?.steps[contract.steps.length - 1]?.stepId ?? 'result';
      return {
        status: await status(execution),
        result: execution.result,
        resultPayload: encodeEnvelope(`capstan.${execution.pipelineId}.${lastStep}.output`, execution.result),
      };
    },
  );

  app.get(
    `${base}/executions/:executionId/history`,
    { config: surface, schema: schemas.history },
    async (request): Promise<HistoryPage> => {
      const p = parseOr400(executionParams, request.params, 'path');
      const q = parseOr400(historyQuery, request.query, 'query');
      const tenantId = tenantOf(p.tenantId);
      const events = await coordinator.history(tenantId, p.executionId, q.afterSeq, q.limit);
      const names = await stepIds(await coordinator.status(tenantId, p.executionId));
      // An event about a step names it beside its index.
      const stepIdOf = (data: unknown) => {
        const index = (data as { stepIndex?: unknown } | null)?.stepIndex;
        return typeof index === 'number' ? (names[index] ?? null) : null;
      };
      return {
        events: events.map((e) => historyEventDto(e, stepIdOf(e.data))),
        nextAfterSeq: events.length === q.limit ? (events[events.length - 1]?.seq ?? null) : null,
      };
    },
  );

  app.post(
    `${base}/executions/:executionId/cancel`,
    { config: surface, schema: schemas.cancel },
    async (request) => {
      const p = parseOr400(executionParams, request.params, 'path');
      return await status(await coordinator.cancel(tenantOf(p.tenantId), p.executionId));
    },
  );

  // The pipelines with a registered release: the active one, whether a worker hosts it, live counts.
  app.get(`${base}/pipelines`, { config: surface, schema: schemas.pipelines }, async (request) => {
    const tenantId = tenantOf(parseOr400(tenantParams, request.params, 'path').tenantId);
    return (await coordinator.pipelines(tenantId)).map(pipelineDto);
  });

  app.get(`${base}/interactions/pending`, { config: surface, schema: schemas.pending }, async (request) => {
    const tenantId = tenantOf(parseOr400(tenantParams, request.params, 'path').tenantId);
    const q = parseOr400(pendingQuery, request.query, 'query');
    return (await coordinator.pendingInteractions(tenantId, q)).map(interactionDto);
  });

  app.get(`${base}/awaits/admission`, { config: surface, schema: schemas.admission }, async (request) => {
    const tenantId = tenantOf(parseOr400(tenantParams, request.params, 'path').tenantId);
    return (await coordinator.awaitAdmission(tenantId)).map(awaitAdmissionDto);
  });

  app.post(
    `${base}/interactions/complete`,
    { config: surface, schema: schemas.complete },
    async (request) => {
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
      return completionDto(interaction, duplicate);
    },
  );
}

/**
 * The per-tenant submit rate limit (`@fastify/rate-limit`), registered only when one is set:
 * the route config that opts the submit route in. Keyed by tenant, so one tenant's flood does
 * not refuse another's submissions.
 */
async function submitRateLimit(app: FastifyInstance, perSecond: number) {
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) =>
      new CapstanError(
        'rate_limited',
        `More than ${context.max} submissions per second for this tenant on this node; retry after ${context.after}.`,
      ),
  });
  return {
    rateLimit: {
      max: perSecond,
      timeWindow: 1000,
      keyGenerator: (request: { params: unknown }) =>
        tenantParams.safeParse(request.params).data?.tenantId ?? '',
    },
  };
}
