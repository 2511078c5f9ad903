import { z } from 'zod';
import type { Wire } from './wire.ts';

/** Schedules on the wire (docs/schedules.md): what the admin API answers about them. */

const epochMs = z.number().int();

/** What becomes of slots that passed unfired: none, the latest once, or the latest `limit`, oldest first. */
export const missedFirePolicySchema = z
  .union([
    z.enum(['skip', 'fire_once']),
    z.object({ catchUp: z.object({ limit: z.number().int().min(1).max(1000) }).strict() }).strict(),
  ])
  .describe(
    'What becomes of missed slots (later than the misfire grace): `skip` none fires, `fire_once` the latest fires once, `{"catchUp": {"limit": n}}` the latest n fire, oldest first.',
  );
export type MissedFirePolicyBody = Wire<typeof missedFirePolicySchema>;

/** `GET …/schedules/{scheduleId}`, and each item of a list. */
export const scheduleSchema = z
  .object({
    scheduleId: z.string(),
    tenantId: z.string(),
    pipelineId: z.string(),
    cron: z.string().nullable().describe('The cron expression; null on an interval schedule.'),
    timezone: z
      .string()
      .nullable()
      .describe('The IANA zone the cron expression is read in; null on an interval schedule.'),
    interval: z
      .string()
      .nullable()
      .describe('The ISO-8601 interval between slots, counted from the creation; null on a cron schedule.'),
    input: z.unknown().describe('The input every execution it starts is submitted with.'),
    missedFirePolicy: missedFirePolicySchema,
    idempotencyKeyPrefix: z
      .string()
      .describe("Each slot's execution has the idempotency key `<prefix>:<slot as ISO-8601>`."),
    paused: z.boolean(),
    nextFireTimes: z
      .array(z.string())
      .describe('The next slots (ISO-8601, UTC), up to three, the next one due first; none while paused.'),
    firedCount: z.number().int().describe('Slots that started an execution (or found one under their key).'),
    lastFire: z
      .object({
        slot: z.string().describe('The slot, ISO-8601 (UTC).'),
        executionId: z.string().nullable(),
        atEpochMs: epochMs.nullable(),
      })
      .nullable()
      .describe('The latest slot fired and its execution.'),
    lastError: z
      .object({ code: z.string(), message: z.string(), atEpochMs: epochMs.nullable() })
      .nullable()
      .describe(
        'Why the latest slot taken started no execution (`no_active_release`, `invalid_input`…); cleared by the next fire.',
      ),
    version: z.number().int(),
    createdAtEpochMs: epochMs,
    updatedAtEpochMs: epochMs,
  })
  .describe('A schedule of a pipeline');
export type Schedule = Wire<typeof scheduleSchema>;

export const schedulesSchema = z.array(scheduleSchema).describe('Schedules, oldest first');
