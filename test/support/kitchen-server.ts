import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';

/** One request the kitchen received: the idempotency key it carried, and whether it was taken. */
export interface KitchenCall {
  readonly idempotencyKey: string;
  readonly accepted: boolean;
}

/**
 * The downstream service of test/fixtures/kitchen-pipeline on a loopback port: it answers 503
 * while `up` is false and a ticket once it is true, one ticket per idempotency key (a repeated
 * key gets the ticket it already has, as a deduplicating provider does). Closed after the test.
 */
export async function startKitchen(t: TestContext) {
  const calls: KitchenCall[] = [];
  const tickets = new Map<string, string>();
  const state = { up: false };
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      const idempotencyKey = String(request.headers['idempotency-key'] ?? '');
      calls.push({ idempotencyKey, accepted: state.up });
      if (!state.up) {
        response.writeHead(503).end();
        return;
      }
      const ticketId = tickets.get(idempotencyKey) ?? `ticket-${tickets.size + 1}`;
      tickets.set(idempotencyKey, ticketId);
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ticketId }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/tickets`,
    calls,
    /** The kitchen's own record: the ticket it issued for each key. */
    tickets,
    set up(value: boolean) {
      state.up = value;
    },
  };
}
