import type { OutboxMessage } from '../store/records.ts';
import type { NewInteraction, Publication } from '../store/store-port.ts';
import type { AwaitRequest } from './await-transport.ts';

/** The transport of an await step answered through the HTTP interaction API: nothing to publish. */
export const INTERACTION_API = 'interaction-api';

/** The outbox topic of a transport's requests. */
export const awaitTopic = (transport: string): string => `await.${transport}`;

/**
 * The outbox publication of an await step's request, written in the transaction that parks
 * the execution; none for the interaction API.
 */
export function awaitPublication(
  execution: { tenantId: string; executionId: string; pipelineId: string },
  interaction: NewInteraction,
): Publication | undefined {
  if (interaction.transportType === INTERACTION_API) return undefined;
  const request: AwaitRequest = {
    interactionId: interaction.interactionId,
    correlationId: interaction.correlationId,
    tenantId: execution.tenantId,
    executionId: execution.executionId,
    pipelineId: execution.pipelineId,
    stepId: interaction.stepId,
    request: interaction.requestPayload ?? null,
    deadlineAtMs: interaction.deadlineAtMs,
  };
  return { topic: awaitTopic(interaction.transportType), payload: { ...request } };
}

/** The request an outbox message carries (written by `awaitPublication`). */
export function requestOf(message: OutboxMessage): AwaitRequest {
  const p = message.payload;
  const text = (key: string): string => {
    const value = p[key];
    if (typeof value !== 'string') throw new Error(`outbox message ${message.id}: ${key} is missing`);
    return value;
  };
  return {
    interactionId: text('interactionId'),
    correlationId: text('correlationId'),
    tenantId: text('tenantId'),
    executionId: text('executionId'),
    pipelineId: text('pipelineId'),
    stepId: text('stepId'),
    request: p.request ?? null,
    deadlineAtMs: Number(p.deadlineAtMs),
  };
}
