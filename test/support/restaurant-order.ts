import { randomUUID } from 'node:crypto';

/** A valid restaurant-approval input with a fresh requestId, so each call is a new order. */
export const newOrder = (overrides: Record<string, unknown> = {}) => ({
  requestId: randomUUID(),
  customerName: 'Ada',
  restaurantName: 'Cafe',
  items: 'soup',
  totalAmount: '9.50',
  currency: 'EUR',
  ...overrides,
});

/** The event types of an order that ran to its decision, was accepted and finished. */
export const APPROVED_ORDER_HISTORY = [
  'submitted',
  'attempt_started',
  'step_completed',
  'step_completed',
  'suspended',
  'interaction_completed',
  'attempt_started',
  'succeeded',
] as const;
