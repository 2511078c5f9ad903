/**
 * restaurant-approval: validate an order, create a pending approval, wait for the restaurant
 * to accept or decline it (a human inbox, 30 minutes), then finalize.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { definePipeline, NonRetryableError } from 'capstan/sdk';

export const PlaceOrder = z.object({
  requestId: z.uuid(),
  customerName: z.string().min(1),
  restaurantName: z.string().min(1),
  items: z.string().min(1),
  totalAmount: z.string().regex(/^\d+(\.\d{1,2})?$/, 'a decimal such as "27.50"'),
  currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO-4217 code such as "EUR"'),
});

const ValidatedOrder = PlaceOrder.extend({ validatedAt: z.string() });
const PendingApproval = ValidatedOrder.extend({ orderId: z.uuid(), createdAt: z.string() });

const Accepted = z.object({ orderId: z.string(), decidedAt: z.string(), note: z.string().optional() });
const Declined = Accepted.extend({ declineReason: z.string() });
export const RestaurantDecision = z.union([
  z.object({ accepted: Accepted }).strict(),
  z.object({ declined: Declined }).strict(),
]);

export const TerminalOrderState = z.object({
  orderId: z.string(),
  outcome: z.enum(['APPROVED', 'DECLINED']),
  resolvedAt: z.string(),
  restaurantStatus: z.enum(['ACCEPTED', 'DECLINED']),
  summary: z.string(),
});

export default definePipeline({
  id: 'restaurant-approval',
  input: PlaceOrder,
  description: 'An order waits for the restaurant to accept or decline it.',
})
  .step('validate-order', {
    output: ValidatedOrder,
    run: (order) => {
      if (Number(order.totalAmount) <= 0) {
        throw new NonRetryableError('totalAmount must be positive', { code: 'invalid_amount' });
      }
      return { ...order, validatedAt: new Date().toISOString() };
    },
  })
  .step('create-pending-approval', {
    output: PendingApproval,
    run: (order) => ({ ...order, orderId: randomUUID(), createdAt: new Date().toISOString() }),
  })
  .await('await-restaurant-decision', {
    response: RestaurantDecision,
    deadline: 'PT30M',
    group: 'restaurant-staff',
    request: (pending) => ({
      orderId: pending.orderId,
      customerName: pending.customerName,
      restaurantName: pending.restaurantName,
      items: pending.items,
      totalAmount: pending.totalAmount,
      currency: pending.currency,
    }),
  })
  .step('finalize-decision', {
    output: TerminalOrderState,
    run: async (decision, ctx) => {
      const pending = PendingApproval.parse(await ctx.outputOf('create-pending-approval'));
      const accepted = 'accepted' in decision;
      const answer = accepted ? decision.accepted : decision.declined;
      // A decision valid in shape but about another order is a business error: no retry helps.
      if (answer.orderId !== pending.orderId) {
        throw new NonRetryableError(
          `decision is for order '${answer.orderId}', but this execution's order is '${pending.orderId}'`,
          { code: 'decision_order_mismatch' },
        );
      }
      return {
        orderId: pending.orderId,
        outcome: accepted ? ('APPROVED' as const) : ('DECLINED' as const),
        resolvedAt: new Date().toISOString(),
        restaurantStatus: accepted ? ('ACCEPTED' as const) : ('DECLINED' as const),
        summary: accepted
          ? `${pending.restaurantName} accepted ${pending.customerName}'s order`
          : `${pending.restaurantName} declined ${pending.customerName}'s order: ${decision.declined.declineReason}`,
      };
    },
  });
