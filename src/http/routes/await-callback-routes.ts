import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { callbackCompletionSchema, type CallbackCompletion } from '../../api-schema/interactions.ts';
import type { AwaitTransports } from '../../awaits/await-transports.ts';
import { CALLBACK_ROUTE } from '../../awaits/callback-signature.ts';
import type { Coordinator } from '../../coordinator/coordinator.ts';
import { CapstanError } from '../../errors/catalog.ts';
import { answerAsReturned } from '../answer-as-returned.ts';
import { idempotencyKey, opaqueId } from '../ids.ts';
import { parseOr400 } from '../parse.ts';

const params = z.object({ tenantId: z.string(), interactionId: opaqueId() });
const query = z.object({
  expires: z.coerce.number().int().min(0),
  signature: z.string().min(1).max(200),
});
const body = z.object({
  response: z.unknown().refine((r) => r !== undefined, 'required'),
  idempotencyKey: idempotencyKey.optional(),
});

const schema = {
  summary: "Complete a webhook await step's interaction",
  description:
    "The `callbackUrl` a webhook request carried, POSTed with the decision as `response`. Validated like an interaction API completion (the await step's response schema); a repeat with the same response answers `duplicate: true`.",
  params,
  querystring: query,
  body,
  response: { 200: callbackCompletionSchema },
};

/**
 * The webhook transport's completion route. Its credential is the URL's signature (the surface
 * admits no bearer role): it is checked before anything else is read, a wrong one is 403
 * `callback_signature_invalid`, an expired one 410 `callback_expired`.
 */
export function awaitCallbackRoutes(
  app: FastifyInstance,
  coordinator: Coordinator,
  transports: AwaitTransports | undefined,
  tenantOf: (raw: string) => string,
): void {
  answerAsReturned(app);
  app.post(
    CALLBACK_ROUTE,
    { config: { surface: 'signed-callback' }, schema },
    async (request): Promise<CallbackCompletion> => {
      const p = parseOr400(params, request.params, 'path');
      const q = parseOr400(query, request.query, 'query');
      const signer = transports?.callbackSigner;
      const target = { tenantId: p.tenantId, interactionId: p.interactionId, expiresAtMs: q.expires };
      const check = signer ? signer.check(target, q.signature, Date.now()) : 'invalid';
      if (check === 'invalid') throw new CapstanError('callback_signature_invalid');
      if (check === 'expired') throw new CapstanError('callback_expired');
      const tenantId = tenantOf(p.tenantId);
      const b = parseOr400(body, request.body ?? {}, 'callback');
      try {
        const { interaction, duplicate } = await coordinator.completeInteraction(tenantId, {
          interactionId: p.interactionId,
          response: b.response,
          idempotencyKey: b.idempotencyKey,
          actor: 'transport:webhook',
        });
        transports?.metrics?.completion('webhook', duplicate ? 'duplicate' : 'completed');
        return {
          interactionId: interaction.interactionId,
          executionId: interaction.executionId,
          status: interaction.status,
          duplicate,
        };
      } catch (error) {
        if (error instanceof CapstanError) transports?.metrics?.completion('webhook', error.code);
        throw error;
      }
    },
  );
}
