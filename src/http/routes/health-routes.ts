import type { FastifyInstance } from 'fastify';
import type { Coordinator } from '../../coordinator/coordinator.ts';

/** Liveness and readiness: no token, so load balancers and orchestrators can probe. */
export function healthRoutes(app: FastifyInstance, coordinator: Coordinator): void {
  app.get('/api/health', { config: { surface: 'public' }, schema: { summary: 'Liveness' } }, async () => ({
    status: 'UP',
  }));
  app.get(
    '/q/health/live',
    { config: { surface: 'public' }, schema: { summary: 'Liveness (MicroProfile path)' } },
    async () => ({ status: 'UP', checks: [] }),
  );
  app.get(
    '/api/ready',
    { config: { surface: 'public' }, schema: { summary: 'Readiness: store, maintenance loop, clock' } },
    async (_request, reply) => {
      let database = 'UP';
      try {
        await coordinator.checkStore();
      } catch {
        database = 'DOWN';
      }
      const maintenance = coordinator.maintenanceHealthy() ? 'UP' : 'DOWN';
      // A node whose clock is too far off the database's would misjudge leases: not ready.
      const clock = coordinator.clockCheck();
      const ready = database === 'UP' && maintenance === 'UP' && clock.status === 'UP';
      return reply.code(ready ? 200 : 503).send({
        status: ready ? 'UP' : 'DOWN',
        checks: [
          { name: 'database', status: database },
          { name: 'maintenance-loop', status: maintenance },
          { name: 'clock', ...clock },
        ],
      });
    },
  );
}
