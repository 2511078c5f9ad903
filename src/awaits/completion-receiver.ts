import { CapstanError } from '../errors/catalog.ts';
import type { Logger } from '../runtime/logger.ts';
import { awaitCompletionMessage, decodeJson } from './await-messages.ts';
import type { AwaitMetrics } from './await-metrics.ts';
import type { CompletionReceiver } from './await-transport.ts';

/** The coordinator's interaction completion, as the receiver calls it (`Coordinator.completeInteraction`). */
export interface InteractionCompleter {
  completeInteraction(
    tenantId: string,
    request: {
      interactionId?: string | undefined;
      correlationId?: string | undefined;
      response: unknown;
      idempotencyKey?: string | undefined;
      actor?: string | undefined;
    },
  ): Promise<{ duplicate: boolean }>;
}

/**
 * Refusals that redelivery cannot change: the message is acknowledged and the refusal logged,
 * so a completion for an unknown, finished or timed-out interaction never loops.
 */
const FINAL_REFUSALS = new Set<string>([
  'interaction_not_found',
  'interaction_conflict',
  'interaction_closed',
  'interaction_deadline_passed',
  // No request went out for it yet: a provider cannot have been asked, so this is no answer.
  'interaction_not_admitted',
  'invalid_response',
  'invalid_request',
  'tenant_not_found',
  'execution_not_found',
]);

/**
 * Turns completion messages of one transport into interaction completions, with the same
 * validation as the HTTP API (the await step's response schema, idempotency). Never throws:
 * a malformed message or a final refusal is logged and acknowledged; anything else (the store
 * unreachable) is left for redelivery.
 */
export function completionReceiver(
  transport: string,
  completer: InteractionCompleter,
  logger: Logger,
  metrics: AwaitMetrics | undefined,
): CompletionReceiver {
  return async (body) => {
    let message;
    try {
      message = decodeJson(awaitCompletionMessage, body);
    } catch (error) {
      metrics?.consumerError(transport, 'malformed');
      logger.warn({ transport, reason: (error as Error).message }, 'await completion dropped: malformed');
      return 'ack';
    }
    const ref = { interactionId: message.interactionId, correlationId: message.correlationId };
    try {
      const { duplicate } = await completer.completeInteraction(message.tenantId, {
        ...ref,
        response: message.response,
        idempotencyKey: message.idempotencyKey,
        actor: message.actor ?? `transport:${transport}`,
      });
      metrics?.completion(transport, duplicate ? 'duplicate' : 'completed');
      if (duplicate) logger.info({ transport, ...ref }, 'await completion redelivered: already applied');
      return 'ack';
    } catch (error) {
      if (error instanceof CapstanError && FINAL_REFUSALS.has(error.code)) {
        metrics?.completion(transport, error.code);
        logger.warn(
          { transport, tenantId: message.tenantId, ...ref, code: error.code, reason: error.message },
          'await completion refused and acknowledged',
        );
        return 'ack';
      }
      metrics?.consumerError(transport, 'redelivered');
      logger.error({ err: error, transport, ...ref }, 'await completion failed; it will be redelivered');
      return 'retry';
    }
  };
}
