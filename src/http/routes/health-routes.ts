import type { FastifyInstance } from 'fastify';
import {
  livenessSchema,
  microProfileLivenessSchema,
  readinessSchema,
  type Readiness,
} from '../../api-schema/cluster.ts';
import type { Coordinator } from '../../coordinator/coordinator.ts';
import { answerAsReturned } from '../answer-as-returned.ts';

/** Liveness and readiness: no token, so load balancers and orchestrators can probe. */
export function healthRoutes(app: FastifyInstance, coordinator: Coordinator): void {
  answerAsReturned(app);
  const publicRoute = { config: { surface: 'public' } } as const;
  app.get(
    '/api/health',
    { ...publicRoute, schema: { summary: 'Liveness', response: { 200: livenessSchema } } },
    async () => ({ status: 'UP' }),
  );
  app.get(
    '/q/health/live',
    {
      ...publicRoute,
      schema: { summary: 'Liveness (MicroProfile path)', response: { 200: microProfileLivenessSchema } },
    },
    async () => ({ status: 'UP', checks: [] }),
  );
  app.get(
    '/api/ready',
    {
      ...publicRoute,
      // Not ready is a 503 with the same body, saying which check failed.
      schema: {
        summary: 'Readiness: store, maintenance loop, clock',
        response: { 200: readinessSchema, 503: readinessSchema },
      },
    },
    async (_request, reply) => {
      let database: 'UP' | 'DOWN' = 'UP';
      try {
        await coordinator.checkStore();
      } catch {
        database = 'DOWN';
      }
      const maintenance = coordinator.maintenanceHealthy() ? 'UP' : 'DOWN';
      // A node whose clock is too far off the database's would misjudge leases: not ready.
      const clock = coordinator.clockCheck();
      const ready = database === 'UP' && maintenance === 'UP' && clock.status === 'UP';
      const readiness: Readiness = {
        status: ready ? 'UP' : 'DOWN',
        checks: [
          { name: 'database', status: database },
          { name: 'maintenance-loop', status: maintenance },
          { name: 'clock', ...clock },
        ],
      };
      return reply.code(ready ? 200 : 503).send(readiness);
    },
  );
}
