import { z } from 'zod';
import type { Wire } from './wire.ts';

/**
 * The pull worker API on the wire (docs/pull-workers.md): a worker asks for segments, keeps
 * their leases and reports their results. The command and result are the worker protocol's
 * envelopes (docs/worker-protocol.md#envelopes), carried as they are over REST and gRPC.
 */

export const pulledSegmentSchema = z
  .object({
    executionId: z.string(),
    leaseEpoch: z.number().int().describe('The fence: the completion and heartbeats carry it back'),
    leaseExpiresAtEpochMs: z.number().int().describe('Until when the lease holds without a heartbeat'),
    command: z
      .record(z.string(), z.unknown())
      .describe('The transition command envelope, as REST and gRPC workers receive it'),
  })
  .describe('A segment claimed for the worker, under a lease');
export type PulledSegment = Wire<typeof pulledSegmentSchema>;

export const pollAnswerSchema = z
  .object({
    segments: z.array(pulledSegmentSchema).describe('At most `max`; empty when the wait ran out'),
    leaseDurationMs: z.number().int().describe('How long a lease lasts from a claim or a heartbeat'),
  })
  .describe('What a poll claimed');
export type PollAnswer = Wire<typeof pollAnswerSchema>;

export const completionAnswerSchema = z
  .object({
    executionId: z.string(),
    status: z.string().describe("The execution's status after the commit"),
  })
  .describe('The result was committed');
export type CompletionAnswer = Wire<typeof completionAnswerSchema>;

export const leaseStateSchema = z
  .object({
    executionId: z.string(),
    leaseEpoch: z.number().int(),
    held: z.boolean().describe('False: the lease is lost; stop the segment, its result would be refused'),
    leaseExpiresAtEpochMs: z.number().int().nullable(),
  })
  .describe('A lease after a heartbeat');
export const leaseHeartbeatAnswerSchema = z
  .object({ leases: z.array(leaseStateSchema), leaseDurationMs: z.number().int() })
  .describe('The leases after a heartbeat, in the order asked');
export type LeaseHeartbeatAnswer = Wire<typeof leaseHeartbeatAnswerSchema>;
