import { z } from 'zod';
import type { Wire } from './wire.ts';

/** Workers on the wire: TPF's `PipelineWorkerRecord`, its state computed when asked. */

export const workerStateSchema = z.enum(['HEALTHY', 'STALE', 'DRAINING', 'UNAVAILABLE']);
export type WorkerState = Wire<typeof workerStateSchema>;

export const workerSchema = z
  .object({
    tenantId: z.string(),
    pipelineId: z.string(),
    workerId: z.string(),
    contractVersion: z.string(),
    releaseVersion: z.string(),
    protocol: z.string(),
    endpoint: z.string(),
    artifactId: z.string().nullable(),
    artifactDigest: z.string().nullable(),
    state: workerStateSchema,
    registeredAtEpochMs: z.number().int(),
    lastHeartbeatAtEpochMs: z.number().int().nullable(),
    drainingSinceEpochMs: z.number().int().nullable(),
  })
  .describe('A worker and its lifecycle state');
export type Worker = Wire<typeof workerSchema>;
export const workersSchema = z.array(workerSchema).describe('Workers and their lifecycle state');
