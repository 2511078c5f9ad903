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

/** The worker protocols a node can run segments over (docs/worker-protocol.md, docs/pull-workers.md). */
export const workerProtocolSchema = z.enum(['local', 'rest', 'grpc', 'queue', 'pull']);

/** The roles a node may play; `topology.currentRoles` lists the ones it plays now. */
export const nodeRoleSchema = z.enum([
  'api',
  'control-plane',
  'admin',
  'dispatcher',
  'pull-worker-api',
  'maintenance-leader',
]);

/** Where this node sits in a deployment, and how work reaches workers through it (docs/cluster-info.md). */
export const topologySchema = z.object({
  supportedShapes: z.array(z.enum(['single-node', 'cluster'])),
  currentShape: z
    .enum(['single-node', 'cluster'])
    .describe(
      '`single-node` on SQLite (one process owns the store), `cluster` on PostgreSQL (nodes may share it).',
    ),
  roleVocabulary: z.array(nodeRoleSchema),
  currentRoles: z.array(nodeRoleSchema),
  executionMode: z
    .enum(['in-process', 'remote-workers', 'in-process-and-remote'])
    .describe('Where segments run: in this process, in remote workers, or both.'),
  matchingRole: z
    .object({
      shape: z
        .literal('in-node')
        .describe('Every node claims due work for its own workers; no separate matcher.'),
      wakeOwner: z
        .enum(['in-process', 'store-notifications'])
        .describe(
          'What wakes a claim when work falls due: this process, or notifications through the shared store.',
        ),
      fallbackSweepMs: z
        .number()
        .int()
        .describe('The periodic pass that finds due work a lost wake-up missed.'),
    })
    .describe('How due executions are matched to workers.'),
  taskDispatchMode: z
    .enum(['push', 'pull', 'push-and-pull'])
    .describe('`push`: the node sends segments to its workers; `pull`: workers ask for them.'),
  partitionPrimitives: z
    .array(z.enum(['tenant', 'pipeline', 'release']))
    .describe(
      'The routing axes: a claim takes only executions whose (tenant, pipeline, release) a worker hosts.',
    ),
  backpressureModel: z.object({
    kind: z
      .literal('bounded-leased-claims')
      .describe('A node claims only as many due executions as it has free slots, each under a lease.'),
    maxInFlight: z.number().int().describe('Segments this node runs or dispatches at once.'),
    leaseMs: z.number().int(),
    awaitAdmissionBudgets: z
      .boolean()
      .describe('Configured await admission budgets (docs/await-admission.md).'),
    submitRatePerSecond: z
      .number()
      .int()
      .nullable()
      .describe('Submissions per second per tenant; null: no limit.'),
  }),
});
export type Topology = Wire<typeof topologySchema>;

/** What the store under this node can and cannot do. */
export const backendSchema = z.object({
  provider: z.enum(['sqlite', 'postgres']),
  capabilities: z.object({
    sharedByNodes: z.boolean().describe('Several coordinator nodes may use it at once.'),
    concurrentWriters: z.boolean().describe('Writers run side by side (false: one writer at a time).'),
    crossNodeWakeups: z.boolean().describe('A change on one node wakes the others at once.'),
    skipLockedClaims: z.boolean().describe('Claims and purges skip rows another transaction holds.'),
    onlineBackup: z.boolean().describe('`capstan backup` copies it from the serving node.'),
    durableCommits: z.boolean().describe('An acknowledged commit survives a power loss.'),
  }),
  warnings: z.array(
    z.object({
      code: z.enum(['single_writer', 'no_cross_node', 'relaxed_durability']),
      message: z.string(),
    }),
  ),
});
export type Backend = Wire<typeof backendSchema>;

/** `GET /api/cluster/info`: this node, its store, the protocols it serves, and the cluster's maintenance leader. */
export const clusterInfoSchema = z
  .object({
    service: z.literal('capstan'),
    build: z.object({ name: z.string(), version: z.string(), node: z.string() }),
    nodeId: z.string(),
    roles: z.array(nodeRoleSchema).describe('The same as `topology.currentRoles`.'),
    store: z.object({ provider: z.string(), shared: z.boolean() }),
    protocols: z.object({
      controlPlane: z.string(),
      admin: z.string(),
      transitionWorker: z.string(),
      workerProtocols: z
        .array(workerProtocolSchema)
        .describe('The worker protocols this node runs segments over now, as configured and served.'),
      queueBroker: z
        .enum(['nats', 'rabbitmq', 'sqs'])
        .nullable()
        .describe('The broker queue workers are reached through; null without queue workers.'),
      payloadEncodings: z
        .array(z.string())
        .describe(
          'The `payloadEncoding` accepted in payload envelopes (`inputPayload`, `responsePayload`, worker payloads).',
        ),
      envelopeEncoding: z.string().describe("A whole worker envelope's encoding (gRPC `payload_encoding`)."),
      awaitTransports: z
        .array(z.string())
        .describe(
          'How await requests go out and completions come back on this node (docs/await-transports.md).',
        ),
    }),
    capabilities: z.object({
      awaitInbox: z.boolean(),
      dlqRedrive: z.boolean(),
      releasePinning: z.boolean(),
      idempotencyPolicies: z.array(z.string()),
      crossNodeWakeups: z.boolean(),
    }),
    topology: topologySchema,
    backend: backendSchema,
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
  .describe('This node, its build, protocols, topology and store, and the cluster');
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
