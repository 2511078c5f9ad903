import Fastify, { type FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { CoordinatorMetrics } from './coordinator-metrics.ts';

export const METRICS_PATH = '/metrics';

/**
 * `GET /metrics` on the API server, behind the `metrics` surface (an operator or admin token,
 * like the control plane).
 */
export function metricsRoute(app: FastifyInstance, metrics: CoordinatorMetrics): void {
  const schema = {
    summary: 'Prometheus metrics (text exposition format)',
    description: 'Every metric is listed in docs/metrics.md.',
    response: {
      200: {
        description: 'The Prometheus text exposition format',
        content: { 'text/plain': { schema: z.string() } },
      },
    },
  };
  app.get(METRICS_PATH, { config: { surface: 'metrics' }, schema }, async (_request, reply) => {
    const text = await metrics.render();
    return reply.type(metrics.contentType).send(text);
  });
}

/**
 * A listener of its own serving only `GET /metrics`, without a token: for a Prometheus that
 * scrapes a private address (`capstan.metrics.port`, loopback unless `capstan.metrics.host`
 * widens it). Anything else on it is a 404.
 */
export async function listenForMetrics(
  metrics: CoordinatorMetrics,
  where: { port: number; host: string },
): Promise<{ address: string; close: () => Promise<void> }> {
  const app = Fastify({ logger: false, return503OnClosing: true });
  app.get(METRICS_PATH, async (_request, reply) => {
    const text = await metrics.render();
    return reply.type(metrics.contentType).send(text);
  });
  const address = await app.listen({ port: where.port, host: where.host });
  return { address, close: () => app.close() };
}
