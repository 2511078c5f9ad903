import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Coordinator } from '../../coordinator/coordinator.ts';
import { answerAsReturned } from '../answer-as-returned.ts';
import { redriveTargetSchema, redrivenSchema } from '../../api-schema/executions.ts';
import { redrivenDto } from '../dto.ts';
import { opaqueId } from '../ids.ts';
import { parseOr400 } from '../parse.ts';
import { CapstanError } from '../../errors/catalog.ts';

const executionParams = z.object({ tenantId: z.string(), executionId: opaqueId() });
const redriveBody = z.object({
  expectedVersion: z.number().int().min(0).nullish(),
  reason: z.string().max(1000).nullish(),
  allowFailed: z.boolean().nullish(),
  targetRelease: redriveTargetSchema.nullish(),
});

/** The admin surface (admin role). Releases and workers arrive with the full admin API. */
export function adminRoutes(
  app: FastifyInstance,
  coordinator: Coordinator,
  tenantOf: (raw: string) => string,
): void {
  answerAsReturned(app);
  app.post(
    '/tpf/admin/tenants/:tenantId/executions/:executionId/redrive',
    {
      config: { surface: 'admin' },
      schema: {
        summary: 'Re-drive an execution',
        description:
          'From DLQ (or FAILED with `allowFailed`); `expectedVersion` guards against a concurrent change. `targetRelease` moves the pin to the active or a named release of the same contract version (default `pinned`).',
        params: executionParams,
        body: redriveBody,
        response: { 200: redrivenSchema },
      },
    },
    async (request) => {
      const p = parseOr400(executionParams, request.params, 'path');
      const tenantId = tenantOf(p.tenantId);
      const body = parseOr400(redriveBody, request.body ?? {}, 'redrive request');
      const { previousStatus, fromRelease, execution } = await coordinator.redrive(tenantId, p.executionId, {
        expectedVersion: body.expectedVersion ?? undefined,
        reason: body.reason ?? undefined,
        allowFailed: body.allowFailed ?? undefined,
        targetRelease: body.targetRelease ?? undefined,
      });
      return redrivenDto(tenantId, previousStatus, execution, fromRelease);
    },
  );
  app.post(
    '/tpf/admin/backup',
    {
      config: { surface: 'admin' },
      schema: {
        summary: 'Back the SQLite store up while serving',
        description:
          "An online copy of the coordinator's SQLite database, written into `<data-dir>/backups/` on the coordinator's host; `capstan backup --data-dir` asks for it and moves it to `--out`.",
        response: { 200: z.object({ file: z.string() }) },
      },
    },
    async () => {
      const store = coordinator.store;
      if (!store.onlineBackup)
        throw new CapstanError(
          'online_backup_unsupported',
          'This store is backed up with pg_dump, not by the coordinator.',
        );
      return { file: await store.onlineBackup() };
    },
  );
}
