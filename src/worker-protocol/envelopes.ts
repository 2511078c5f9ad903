/**
 * The envelopes of the transition-worker protocol (docs/worker-protocol.md#envelopes), with
 * TPF's field names. Every protocol (REST and gRPC) carries these same JSON
 * documents. Capstan's additions are optional fields a TPF peer ignores: `leaseEpoch`,
 * `idempotencyAttempt` and `priorOutputs` on a command; `stepIndex` and `stepOutputs` on a
 * result; `workerId`, `tenantId` and `releases` on a capability.
 */
import { z } from 'zod';

export const WORKER_PROTOCOL_VERSION = '1';
export const EXECUTE_PATH = '/pipeline/worker/transitions/execute';
export const CAPABILITIES_PATH = '/pipeline/worker/capabilities';
/** The protocol-level encoding of a whole envelope, as capabilities advertise it. */
export const ENVELOPE_ENCODING = 'application/tpf-transition-envelope+json';

const id = z.string().min(1).max(512);
const index = z.number().int().min(0);

/** TPF's serialized payload: a JSON document carried as a string, decoded only when needed. */
export const payloadSchema = z.object({
  payloadTypeId: z.string().max(512),
  payloadEncoding: z.string().max(128),
  payload: z.string(),
});
export type Payload = z.output<typeof payloadSchema>;

/** A checkpointed step output travelling with a command or a result. */
export const stepPayloadSchema = payloadSchema.extend({ stepIndex: index });
export type StepPayload = z.output<typeof stepPayloadSchema>;

/** Coordinator → worker: run the pinned pipeline from `currentStepIndex` (`TransitionCommandEnvelope`). */
export const commandEnvelopeSchema = payloadSchema
  .extend({
    tenantId: id,
    executionId: id,
    pipelineId: id,
    contractVersion: id,
    releaseVersion: id,
    currentStepIndex: index,
    /** Exclusive; -1 runs to the next await or the end. */
    stopBeforeStepIndex: z.number().int().min(-1).default(-1),
    attempt: index,
    resultShape: z.string().max(64).optional(),
    executionVersion: z.number().int(),
    transitionKey: id,
    traceId: z.string().max(512).optional(),
    leaseEpoch: z.number().int().optional(),
    idempotencyAttempt: index.optional(),
    /** Outputs of the steps before `currentStepIndex`, for `ctx.outputOf`. */
    priorOutputs: z.array(stepPayloadSchema).default([]),
  })
  .refine((c) => c.stopBeforeStepIndex === -1 || c.stopBeforeStepIndex >= c.currentStepIndex, {
    message: 'stopBeforeStepIndex must be -1 or at least currentStepIndex',
  });
export type CommandEnvelope = z.input<typeof commandEnvelopeSchema>;
export type ParsedCommandEnvelope = z.output<typeof commandEnvelopeSchema>;

const awaitSuspensionSchema = z.object({
  tenantId: id,
  executionId: id,
  stepIndex: index,
  stepId: id,
  requestPayload: payloadSchema,
  deadlineMs: index,
  group: z.string().nullable(),
  assignee: z.string().nullable(),
  transportType: z.string().min(1),
});

const failureSchema = z.object({
  failureClass: z.string().max(512),
  message: z.string(),
  nonRetryable: z.boolean().default(false),
  /** The step's error code (a `NonRetryableError` code, an error's `code`, else its class). */
  code: z.string().max(512).optional(),
  skipDlq: z.boolean().default(false),
  /** The worker refused the command before running anything (identity mismatch). */
  dispatchError: z.boolean().default(false),
  /** Capstan's addition: where the step threw. Optional; the coordinator truncates what it keeps. */
  stack: z.string().max(65_536).optional(),
});

/** Worker → coordinator: how the segment ended (`TransitionResultEnvelope`). */
export const resultEnvelopeSchema = z
  .object({
    outcome: z.enum(['COMPLETED', 'WAITING_EXTERNAL', 'FAILED']),
    outputPayloads: z.array(payloadSchema).default([]),
    awaitSuspension: awaitSuspensionSchema.nullish(),
    failure: failureSchema.nullish(),
    terminalOutputPublished: z.boolean().default(false),
    terminalInputPassthrough: z.boolean().default(false),
    /** The step the segment stopped at: the last one, the await, or the one that failed. */
    stepIndex: index,
    /** Outputs of the steps this segment completed before `stepIndex`, in order. */
    stepOutputs: z.array(stepPayloadSchema).default([]),
  })
  .superRefine((r, ctx) => {
    // TPF's invariants: each outcome carries its own part and nothing of the others'.
    const problem =
      r.outcome === 'COMPLETED'
        ? r.awaitSuspension || r.failure || r.outputPayloads.length !== 1
          ? 'COMPLETED carries exactly one output payload and no suspension or failure'
          : undefined
        : r.outcome === 'WAITING_EXTERNAL'
          ? !r.awaitSuspension || r.failure || r.outputPayloads.length > 0
            ? 'WAITING_EXTERNAL carries only awaitSuspension'
            : undefined
          : !r.failure || r.awaitSuspension || r.outputPayloads.length > 0
            ? 'FAILED carries only failure'
            : undefined;
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
export type ResultEnvelope = z.input<typeof resultEnvelopeSchema>;
export type ParsedResultEnvelope = z.output<typeof resultEnvelopeSchema>;

const releaseIdentitySchema = z.object({
  pipelineId: id,
  contractVersion: id,
  releaseVersion: id,
  artifactId: z.string().nullish(),
  artifactDigest: z.string().nullish(),
});
export type ReleaseIdentity = z.output<typeof releaseIdentitySchema>;

/**
 * What a worker hosts (`PipelineWorkerCapability`). TPF's fields name one release; a Capstan
 * worker may host several, all listed in `releases` (the first is repeated at the top level).
 */
export const capabilitySchema = releaseIdentitySchema.extend({
  protocolVersion: z.literal(WORKER_PROTOCOL_VERSION),
  providerName: z.string(),
  payloadEncodings: z.array(z.string()),
  workerProtocols: z.array(z.string()),
  workerId: id.optional(),
  tenantId: id.optional(),
  releases: z.array(releaseIdentitySchema).optional(),
});
export type Capability = z.input<typeof capabilitySchema>;
export type ParsedCapability = z.output<typeof capabilitySchema>;
