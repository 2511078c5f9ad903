import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Coordinator } from '../../coordinator/coordinator.ts';
import {
  dlqGroupsSchema,
  dlqPageSchema,
  dlqReasonSchema,
  type DlqEntry,
  type DlqGroups,
  type DlqPage,
} from '../../api-schema/dlq.ts';
import { FINGERPRINT_LENGTH } from '../../dlq/failure-fingerprint.ts';
import { stepAttemptOf } from '../../domain/step-attempt.ts';
import { CapstanError } from '../../errors/catalog.ts';
import type { DlqGroupRecord } from '../../store/dlq-port.ts';
import type { ExecutionRecord } from '../../store/records.ts';
import { answerAsReturned } from '../answer-as-returned.ts';
import { opaqueId, pipelineId } from '../ids.ts';
import { parseOr400 } from '../parse.ts';

const tenantParams = z.object({ tenantId: z.string() });
const limit = z.coerce.number().int().min(1).max(1000).default(100);
const listQuery = z.object({
  pipelineId: pipelineId.optional(),
  reason: dlqReasonSchema.optional(),
  fingerprint: z
    .string()
    .regex(new RegExp(`^[0-9a-f]{${FINGERPRINT_LENGTH}}$`), `${FINGERPRINT_LENGTH} lowercase hex characters`)
    .optional(),
  errorCode: opaqueId().optional(),
  releaseVersion: opaqueId().optional(),
  limit,
  cursor: z.string().min(1).max(1000).optional(),
});
const groupsQuery = z.object({ pipelineId: pipelineId.optional(), limit });

/** The keyset position after a page's last entry, opaque to clients: base64url JSON. */
const dlqCursor = z.object({ t: z.number().int().min(0), i: opaqueId() }).strict();

const encodeCursor = (x: ExecutionRecord): string =>
  Buffer.from(JSON.stringify({ t: x.updatedAtMs, i: x.executionId })).toString('base64url');

function decodeCursor(cursor: string): { dlqAtMs: number; executionId: string } {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    decoded = undefined;
  }
  const parsed = dlqCursor.safeParse(decoded);
  if (!parsed.success)
    throw new CapstanError('invalid_request', 'Invalid cursor: pass the nextCursor of the previous page.', {
      parameter: 'cursor',
      issues: [{ path: '/cursor', message: 'not a cursor this API returned as nextCursor' }],
    });
  return { dlqAtMs: parsed.data.t, executionId: parsed.data.i };
}

/** A DLQ execution as an entry: it entered the DLQ when its row was last updated. */
const entryOf = (x: ExecutionRecord): DlqEntry => ({
  executionId: x.executionId,
  pipelineId: x.pipelineId,
  releaseVersion: x.releaseVersion,
  reason: x.dlqReason,
  fingerprint: x.failureFingerprint,
  errorCode: x.errorCode,
  errorMessage: x.errorMessage,
  stepId: x.failedStepId,
  stepIndex: x.stepIndex,
  attempts: stepAttemptOf(x) + 1,
  dlqAt: x.updatedAtMs,
});

const groupOf = (g: DlqGroupRecord): DlqGroups['groups'][number] => ({
  fingerprint: g.fingerprint,
  pipelineId: g.pipelineId,
  stepId: g.stepId,
  errorCode: g.errorCode,
  reason: g.reason,
  count: g.count,
  firstAt: g.firstAtMs,
  lastAt: g.lastAtMs,
  sampleExecutionId: g.sampleExecutionId,
});

/** The DLQ as a list and as groups (admin role; docs/dlq.md). */
export function dlqRoutes(
  app: FastifyInstance,
  coordinator: Coordinator,
  tenantOf: (raw: string) => string,
): void {
  answerAsReturned(app);
  const base = '/tpf/admin/tenants/:tenantId/dlq';
  app.get(
    base,
    {
      config: { surface: 'admin' },
      schema: {
        summary: 'List the DLQ',
        description:
          'Executions in the DLQ, newest first, keyset-paged: pass `nextCursor` as `cursor` for the next page. Every filter given narrows the list.',
        params: tenantParams,
        querystring: listQuery,
        response: { 200: dlqPageSchema },
      },
    },
    async (request): Promise<DlqPage> => {
      const tenantId = tenantOf(parseOr400(tenantParams, request.params, 'path').tenantId);
      const q = parseOr400(listQuery, request.query, 'query');
      const found = await coordinator.store.listDlq(tenantId, {
        pipelineId: q.pipelineId,
        reason: q.reason,
        fingerprint: q.fingerprint,
        errorCode: q.errorCode,
        releaseVersion: q.releaseVersion,
        after: q.cursor === undefined ? undefined : decodeCursor(q.cursor),
        limit: q.limit,
      });
      const last = found[found.length - 1];
      return {
        items: found.map(entryOf),
        // A full page may have more behind it; the next request says (an empty page ends the walk).
        nextCursor: last && found.length === q.limit ? encodeCursor(last) : null,
      };
    },
  );
  app.get(
    `${base}/groups`,
    {
      config: { surface: 'admin' },
      schema: {
        summary: 'Group the DLQ by failure fingerprint',
        description:
          'How many DLQ entries share each failure fingerprint, largest group first (at most `limit` groups).',
        params: tenantParams,
        querystring: groupsQuery,
        response: { 200: dlqGroupsSchema },
      },
    },
    async (request): Promise<DlqGroups> => {
      const tenantId = tenantOf(parseOr400(tenantParams, request.params, 'path').tenantId);
      const q = parseOr400(groupsQuery, request.query, 'query');
      const groups = await coordinator.store.dlqGroups(tenantId, {
        pipelineId: q.pipelineId,
        limit: q.limit,
      });
      return { groups: groups.map(groupOf) };
    },
  );
}
