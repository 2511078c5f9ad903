import { decodeEnvelope, TPF_PAYLOAD_ENCODING } from '../payloads/tpf-envelope.ts';
import type { SegmentCommand, StepOutput } from '../segment/transition-worker.ts';
import type { CommandEnvelope, ParsedCommandEnvelope, Payload, StepPayload } from './envelopes.ts';

/** Capstan's payload type ids: there are no classes to name, only the place a value comes from. */
export const INPUT_TYPE_ID = 'capstan.transition.input';
export const STEP_OUTPUT_TYPE_ID = 'capstan.step.output';

/** A value as TPF carries a DTO: its JSON in `payload`, with the type id saying what it is. */
export function payloadOf(payloadTypeId: string, value: unknown): Payload {
  return { payloadTypeId, payloadEncoding: TPF_PAYLOAD_ENCODING, payload: JSON.stringify(value ?? null) };
}

export function encodeStepOutputs(outputs: readonly StepOutput[]): StepPayload[] {
  return outputs.map(({ stepIndex, output }) => ({
    stepIndex,
    ...payloadOf(STEP_OUTPUT_TYPE_ID, output),
  }));
}

export function decodeStepOutputs(payloads: readonly StepPayload[]): StepOutput[] {
  return payloads.map(({ stepIndex, ...payload }) => ({ stepIndex, output: decodeEnvelope(payload) }));
}

/** The command envelope of a segment, carrying the outputs `ctx.outputOf` may ask for. */
export function encodeCommand(command: SegmentCommand, priorOutputs: readonly StepOutput[]): CommandEnvelope {
  return {
    tenantId: command.tenantId,
    executionId: command.executionId,
    pipelineId: command.pipelineId,
    contractVersion: command.contractVersion,
    releaseVersion: command.releaseVersion,
    currentStepIndex: command.currentStepIndex,
    stopBeforeStepIndex: command.stopBeforeStepIndex ?? -1,
    attempt: command.attempt,
    resultShape: 'SINGLE',
    executionVersion: command.executionVersion,
    transitionKey: command.transitionKey,
    traceId: command.transitionKey,
    leaseEpoch: command.leaseEpoch,
    ...(command.idempotencyAttempt === undefined ? {} : { idempotencyAttempt: command.idempotencyAttempt }),
    ...payloadOf(INPUT_TYPE_ID, command.input),
    priorOutputs: encodeStepOutputs(priorOutputs),
  };
}

/**
 * Decodes the payloads of a command whose identity has already been checked. Throws
 * `invalid_payload_envelope` when a payload is not what its encoding says.
 */
export function decodeCommand(envelope: ParsedCommandEnvelope): {
  command: SegmentCommand;
  priorOutputs: StepOutput[];
} {
  const command: SegmentCommand = {
    tenantId: envelope.tenantId,
    executionId: envelope.executionId,
    pipelineId: envelope.pipelineId,
    contractVersion: envelope.contractVersion,
    releaseVersion: envelope.releaseVersion,
    currentStepIndex: envelope.currentStepIndex,
    attempt: envelope.attempt,
    executionVersion: envelope.executionVersion,
    leaseEpoch: envelope.leaseEpoch ?? 0,
    transitionKey: envelope.transitionKey,
    ...(envelope.stopBeforeStepIndex === -1 ? {} : { stopBeforeStepIndex: envelope.stopBeforeStepIndex }),
    ...(envelope.idempotencyAttempt === undefined ? {} : { idempotencyAttempt: envelope.idempotencyAttempt }),
    input: decodeEnvelope(envelope),
  };
  return { command, priorOutputs: decodeStepOutputs(envelope.priorOutputs) };
}
