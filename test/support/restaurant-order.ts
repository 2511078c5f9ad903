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
