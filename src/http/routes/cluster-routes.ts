import type { FastifyInstance } from 'fastify';
import {
  clusterInfoSchema,
  clusterNodesSchema,
  type ClusterInfo,
  type ClusterNodes,
} from '../../api-schema/cluster.ts';
import { clusterInfo, type ServedSurfaces } from '../cluster-info.ts';
import type { Coordinator } from '../../coordinator/coordinator.ts';
import { answerAsReturned } from '../answer-as-returned.ts';

/**
 * Discovery: what this node is and what the cluster looks like from it. Any role's token
 * opens it, so workers and clients can check versions before they talk.
 */
export function clusterRoutes(app: FastifyInstance, coordinator: Coordinator, served: ServedSurfaces): void {
  answerAsReturned(app);
  app.get(
    '/api/cluster/info',
    {
      config: { surface: 'discovery' },
      schema: {
        summary: 'This node, its build, protocols, topology and store, and the cluster',
        description:
          'What this node serves now: the worker protocols it can run segments over, the payload ' +
          'encoding its envelopes take, its topology (shape, roles, execution and dispatch modes, ' +
          'routing axes, back-pressure) and its store with its capabilities and warnings.',
        response: { 200: clusterInfoSchema },
      },
    },
    (): Promise<ClusterInfo> => clusterInfo(coordinator, served),
  );

  app.get(
    '/api/cluster/nodes',
    {
      config: { surface: 'discovery' },
      schema: {
        summary: 'Every coordinator node in the registry: state, readiness, the maintenance leader',
        description:
          'Each node heartbeats every maintenance pass; one silent for `staleAfterMs` is `stale`, ' +
          'one that stopped cleanly `stopped`. Instants are ISO 8601, judged by the answering node.',
        response: { 200: clusterNodesSchema },
      },
    },
    async (): Promise<ClusterNodes> => {
      const { nodes, heartbeatIntervalMs, staleAfterMs } = await coordinator.clusterNodes();
      const iso = (ms: number) => new Date(ms).toISOString();
      return {
        thisNode: coordinator.config.nodeId,
        heartbeatIntervalMs,
        staleAfterMs,
        nodes: nodes.map((n) => ({
          nodeId: n.nodeId,
          holder: n.holder,
          address: n.address,
          version: n.version,
          state: n.state,
          ready: n.state === 'live' && n.ready,
          leader: n.leader,
          startedAt: iso(n.startedAtMs),
          lastHeartbeatAt: iso(n.heartbeatAtMs),
          stoppedAt: n.stoppedAtMs === null ? null : iso(n.stoppedAtMs),
        })),
      };
    },
  );
}
