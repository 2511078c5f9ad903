import { z } from 'zod';
import type { Wire } from './wire.ts';

/** Releases on the wire: TPF's `PipelineReleaseRecord` fields and the activation history. */

export const releaseSchema = z
  .object({
    tenantId: z.string(),
    pipelineId: z.string(),
    contractVersion: z.string(),
    releaseVersion: z.string(),
    status: z.enum(['REGISTERED', 'ACTIVE']),
    descriptor: z.unknown().describe('The release descriptor as registered.'),
    contract: z.unknown().describe("The pipeline's contract: its steps, in order."),
    primaryArtifactId: z.string().nullable(),
    primaryArtifactDigest: z.string(),
    primaryArtifactUri: z.string(),
    createdAtEpochMs: z.number().int(),
    updatedAtEpochMs: z.number().int(),
    activatedAtEpochMs: z.number().int().nullable(),
  })
  .describe('A release');
export type Release = Wire<typeof releaseSchema>;
export const releasesSchema = z.array(releaseSchema).describe('Registered releases, oldest first');

export const activationSchema = z.object({
  seq: z.number().int(),
  tenantId: z.string(),
  pipelineId: z.string(),
  releaseVersion: z.string(),
  activatedAtEpochMs: z.number().int(),
  actor: z.string().nullable(),
});
export type Activation = Wire<typeof activationSchema>;
export const activationsSchema = z.array(activationSchema).describe('The activation history, oldest first');
