import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { CapstanError } from '../../errors/catalog.ts';
import type { ReleaseRegistrar } from '../../releases/release-registrar.ts';
import type { ReleaseRecord } from '../../store/records.ts';
import type { Coordinator } from '../../coordinator/coordinator.ts';
import { answerAsReturned } from '../answer-as-returned.ts';
import { activationsSchema, releaseSchema, releasesSchema } from '../../api-schema/releases.ts';
import { activationDto, releaseDto } from '../dto.ts';
import { opaqueId, pipelineId } from '../ids.ts';
import { parseOr400 } from '../parse.ts';

const pipelineParams = z.object({ tenantId: z.string(), pipelineId });
const releaseParams = pipelineParams.extend({ releaseVersion: opaqueId() });
const registerBody = z.union([
  z.object({ releaseDescriptorPath: z.string().min(1) }).strict(),
  z
    .object({
      descriptor: z.record(z.string(), z.unknown()),
      artifacts: z.array(z.object({ uri: z.string().min(1), contentBase64: z.string() })).optional(),
    })
    .strict(),
]);

/** A binary body, as OpenAPI 3.1 describes one. */
const gzipBytes = z.string().meta({ contentMediaType: 'application/gzip' });

/**
 * What each route takes and answers, for the OpenAPI document; the handlers parse with the
 * same schemas, and answer what `dto.ts` maps to the response schemas.
 */
const schemas = {
  register: {
    summary: 'Register a release',
    description:
      'A JSON body names a descriptor under an allowed root or carries the descriptor inline; ' +
      'an `application/gzip` body is a `.tgz` of a release folder.',
    params: pipelineParams,
    body: registerBody,
    response: { 200: releaseSchema },
  },
  list: { summary: 'Registered releases', params: pipelineParams, response: { 200: releasesSchema } },
  active: { summary: 'The active release', params: pipelineParams, response: { 200: releaseSchema } },
  activations: {
    summary: 'The activation history',
    params: pipelineParams,
    response: { 200: activationsSchema },
  },
  get: { summary: 'One release', params: releaseParams, response: { 200: releaseSchema } },
  artifact: {
    summary: "A release's primary artifact (application/gzip)",
    params: releaseParams,
    // Bytes, not JSON: the header `x-capstan-artifact-digest` names their digest.
    response: {
      200: {
        description: 'The `.tgz` of the release folder',
        content: { 'application/gzip': { schema: gzipBytes } },
      },
    },
  },
  activate: { summary: 'Activate a release', params: releaseParams, response: { 200: releaseSchema } },
} as const;

/**
 * Releases (admin role): register from a path under an allowed root, an inline descriptor, or
 * an uploaded `.tgz` of a release folder; list, get, the active one, activate, activations.
 */
export function releaseRoutes(
  app: FastifyInstance,
  coordinator: Coordinator,
  registrar: ReleaseRegistrar,
  tenantOf: (raw: string) => string,
): void {
  answerAsReturned(app);
  const base = '/tpf/admin/tenants/:tenantId/pipelines/:pipelineId/releases';
  const admin = { config: { surface: 'admin' } } as const;
  const context = async (params: unknown) => {
    const p = parseOr400(pipelineParams, params, 'path');
    const tenantId = tenantOf(p.tenantId);
    const { releases, activations, active } = await coordinator.releasesOf(tenantId, p.pipelineId);
    return {
      tenantId,
      pipelineId: p.pipelineId,
      dto: (r: ReleaseRecord) => releaseDto(r, activations, active),
      releases,
      activations,
      active,
    };
  };

  app.post(`${base}/register`, { ...admin, schema: schemas.register }, async (request) => {
    const p = parseOr400(pipelineParams, request.params, 'path');
    const tenantId = tenantOf(p.tenantId);
    const { release } = Buffer.isBuffer(request.body)
      ? await registrar.registerArchive(tenantId, p.pipelineId, request.body)
      : await (async () => {
          const body = parseOr400(registerBody, request.body ?? {}, 'register request');
          return 'releaseDescriptorPath' in body
            ? registrar.registerFromPath(tenantId, p.pipelineId, body.releaseDescriptorPath)
            : registrar.registerInline(tenantId, p.pipelineId, body.descriptor, body.artifacts);
        })();
    return (await context(request.params)).dto(release);
  });

  app.get(base, { ...admin, schema: schemas.list }, async (request) => {
    const c = await context(request.params);
    return (await c.releases()).map(c.dto);
  });

  app.get(`${base}/active`, { ...admin, schema: schemas.active }, async (request) => {
    const c = await context(request.params);
    if (!c.active) {
      // As on submit: a pipeline with no release registered at all is unknown, not merely inactive.
      if ((await c.releases()).length === 0)
        throw new CapstanError(
          'pipeline_not_found',
          `No release of pipeline '${c.pipelineId}' is registered.`,
          {
            pipelineId: c.pipelineId,
          },
        );
      throw new CapstanError('release_not_found', `No release of '${c.pipelineId}' is active.`);
    }
    return c.dto(c.active);
  });

  app.get(`${base}/activations`, { ...admin, schema: schemas.activations }, async (request) => {
    const c = await context(request.params);
    return c.activations.map(activationDto);
  });

  // A worker told to host `<pipelineId>@<version>` reads that one release, and nothing else here.
  app.get(
    `${base}/:releaseVersion`,
    { config: { surface: 'worker-lifecycle' }, schema: schemas.get },
    async (request) => {
      const p = parseOr400(releaseParams, request.params, 'path');
      const c = await context(request.params);
      const release = await coordinator.release(c.tenantId, c.pipelineId, p.releaseVersion);
      if (!release) throw new CapstanError('release_not_found');
      return c.dto(release);
    },
  );

  // Its artifact, for a worker whose own artifact store does not hold it (another disk, no S3).
  app.get(
    `${base}/:releaseVersion/artifact`,
    { config: { surface: 'worker-lifecycle' }, schema: schemas.artifact },
    async (request, reply) => {
      const p = parseOr400(releaseParams, request.params, 'path');
      const c = await context(request.params);
      const release = await coordinator.release(c.tenantId, c.pipelineId, p.releaseVersion);
      if (!release) throw new CapstanError('release_not_found');
      const bytes = await registrar.primaryArtifact(release);
      return reply
        .header('content-type', 'application/gzip')
        .header('x-capstan-artifact-digest', release.primaryArtifactDigest)
        .send(bytes);
    },
  );

  app.post(`${base}/:releaseVersion/activate`, { ...admin, schema: schemas.activate }, async (request) => {
    const p = parseOr400(releaseParams, request.params, 'path');
    const tenantId = tenantOf(p.tenantId);
    const release = await registrar.activate(tenantId, p.pipelineId, p.releaseVersion, 'admin-api');
    return (await context(request.params)).dto(release);
  });
}
