import { z } from 'zod';

const digest = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'a digest is sha256:<64 lowercase hex>');

export const releaseArtifactSchema = z.object({
  artifactId: z.string().min(1),
  kind: z.string().min(1),
  uri: z.string().min(1),
  digest,
  stepIds: z.array(z.string()).default([]),
  capabilities: z.array(z.string()).default([]),
});

/** `pipeline-release.json` (schema version 1, as TPF reads it). */
export const releaseDescriptorSchema = z.object({
  schemaVersion: z.literal(1),
  pipelineId: z.string().min(1),
  contractVersion: digest,
  releaseVersion: z.string().min(1).max(200),
  artifacts: z.array(releaseArtifactSchema).min(1),
});

export type ReleaseArtifact = z.output<typeof releaseArtifactSchema>;
export type ReleaseDescriptor = z.output<typeof releaseDescriptorSchema>;
