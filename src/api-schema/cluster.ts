import { z } from 'zod';
import type { Wire } from './wire.ts';

/** Health, readiness and discovery on the wire. */

export const livenessSchema = z.object({ status: z.literal('UP') }).describe('Alive');

export const microProfileLivenessSchema = z
  .object({ status: z.literal('UP'), checks: z.array(z.unknown()) })
  .describe('Alive (MicroProfile Health shape)');

export const readinessSchema = z
  .object({
    status: z.enum(['UP', 'DOWN']),
    checks: z.array(
      z.object({
        name: z.string(),
        status: z.enum(['UP', 'DOWN']),
        skewMs: z
          .number()
          .nullable()
          .optional()
          .describe('The clock check: how far this node is off the store.'),
        maxSkewMs: z.number().nullable().optional().describe('The bound on that skew; null when unbounded.'),
      }),
    ),
  })
  .describe('Ready (200) or not (503): the store, the maintenance loop, the clock');
export type Readiness = Wire<typeof readinessSchema>;

export const whoamiSchema = z
  .object({ role: z.enum(['operator', 'admin', 'worker']) })
  .describe("The role of the caller's token");
export type Whoami = Wire<typeof whoamiSchema>;

/** `GET /api/cluster/info`: this node, its store, and the cluster's maintenance leader. */
export const clusterInfoSchema = z
  .object({
    service: z.literal('capstan'),
    build: z.object({ name: z.string(), version: z.string(), node: z.string() }),
    nodeId: z.string(),
    roles: z.array(z.string()),
    store: z.object({ provider: z.string(), shared: z.boolean() }),
    protocols: z.object({
      controlPlane: z.string(),
      admin: z.string(),
      transitionWorker: z.string(),
      workerProtocols: z.array(z.string()),
      payloadEncodings: z.array(z.string()),
    }),
    capabilities: z.object({
      awaitInbox: z.boolean(),
      dlqRedrive: z.boolean(),
      releasePinning: z.boolean(),
      idempotencyPolicies: z.array(z.string()),
      crossNodeWakeups: z.boolean(),
    }),
    maintenance: z.object({
      leaderLeaseMs: z.number().int(),
      thisNode: z.object({ holder: z.string(), leader: z.boolean() }),
      leader: z
        .object({
          nodeId: z.string(),
          holder: z.string(),
          epoch: z.number().int(),
          since: z.string().describe('ISO 8601 time.'),
          expiresAt: z.string().describe('ISO 8601 time.'),
        })
        .nullable(),
    }),
  })
  .describe('This node, its build, protocols and the cluster');
export type ClusterInfo = Wire<typeof clusterInfoSchema>;

/** One coordinator node in the registry (`GET /api/cluster/nodes`). */
export const clusterNodeSchema = z.object({
  nodeId: z.string(),
  holder: z.string().describe('The running process, `<node id>#<incarnation>`: a restart is a new holder.'),
  address: z.string().nullable().describe('Where its API listens, once it reported it.'),
  version: z.string(),
  state: z
    .enum(['live', 'stale', 'stopped'])
    .describe('`live` (heartbeating), `stale` (silent past `staleAfterMs`) or `stopped` (stopped cleanly).'),
  ready: z.boolean().describe('Live, and ready (maintenance loop and clock) at its last heartbeat.'),
  leader: z.boolean().describe('Whether it holds the maintenance leadership.'),
  startedAt: z.string().describe('ISO 8601 time.'),
  lastHeartbeatAt: z.string().describe('ISO 8601 time.'),
  stoppedAt: z.string().nullable().describe('ISO 8601 time.'),
});
export type ClusterNode = Wire<typeof clusterNodeSchema>;

/** `GET /api/cluster/nodes`: the node registry, as the answering node (`thisNode`) judges it. */
export const clusterNodesSchema = z
  .object({
    thisNode: z.string(),
    heartbeatIntervalMs: z.number().int(),
    staleAfterMs: z.number().int(),
    nodes: z.array(clusterNodeSchema),
  })
  .describe('Every coordinator node in the registry');
export type ClusterNodes = Wire<typeof clusterNodesSchema>;
