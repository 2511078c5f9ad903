import type { FastifyInstance } from 'fastify';
import {
  clusterInfoSchema,
  clusterNodesSchema,
  type ClusterInfo,
  type ClusterNodes,
} from '../../api-schema/cluster.ts';
import { buildInfo, PROTOCOLS } from '../../build/build-info.ts';
import type { Coordinator } from '../../coordinator/coordinator.ts';
import { answerAsReturned } from '../answer-as-returned.ts';

/** The node id a lease holder names: holders are `<node id>#<incarnation>`. */
const nodeOf = (holder: string): string => holder.replace(/#[^#]*$/, '');

/**
 * Discovery: what this node is and what the cluster looks like from it. Any role's token
 * opens it, so workers and clients can check versions before they talk.
 */
export function clusterRoutes(app: FastifyInstance, coordinator: Coordinator): void {
  answerAsReturned(app);
  app.get(
    '/api/cluster/info',
    {
      config: { surface: 'discovery' },
      schema: {
        summary: 'This node, its build, protocols and the cluster',
        response: { 200: clusterInfoSchema },
      },
    },
    async (): Promise<ClusterInfo> => {
      const { isLeader, holder, leader } = await coordinator.leadership();
      const config = coordinator.config;
      const store = coordinator.storeInfo();
      return {
        service: 'capstan',
        build: buildInfo(),
        nodeId: config.nodeId,
        roles: ['api', 'control-plane', 'dispatcher', ...(isLeader ? ['maintenance-leader'] : [])],
        store: { provider: store.provider, shared: store.shared },
        protocols: PROTOCOLS,
        capabilities: {
          awaitInbox: true,
          dlqRedrive: true,
          releasePinning: true,
          idempotencyPolicies: ['OPTIONAL_CLIENT_KEY', 'CLIENT_KEY_REQUIRED', 'SERVER_KEY_ONLY'],
          crossNodeWakeups: store.crossNodeWakeups,
        },
        maintenance: {
          leaderLeaseMs: config.leaderLeaseMs,
          thisNode: { holder, leader: isLeader },
          leader: leader
            ? {
                nodeId: nodeOf(leader.holder),
                holder: leader.holder,
                epoch: leader.epoch,
                since: new Date(leader.acquiredAtMs).toISOString(),
                expiresAt: new Date(leader.expiresAtMs).toISOString(),
              }
            : null,
        },
      };
    },
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
