import type { Backend, ClusterInfo, Topology } from '../api-schema/cluster.ts';
import { INTERACTION_API } from '../awaits/await-publication.ts';
import { buildInfo, PROTOCOLS } from '../build/build-info.ts';
import type { Coordinator } from '../coordinator/coordinator.ts';
import { TPF_PAYLOAD_ENCODING } from '../payloads/tpf-envelope.ts';
import { ENVELOPE_ENCODING } from '../worker-protocol/envelopes.ts';

/** What this node's HTTP server serves, which the coordinator alone does not know. */
export interface ServedSurfaces {
  /** The control plane (submit, status, the await inbox). */
  readonly controlPlane: boolean;
  /** The admin surface, and with it the worker routes: registrations, heartbeats, the pull API. */
  readonly admin: boolean;
  /** The await transports started on this node (beside the interaction API). */
  readonly awaitTransports: readonly string[];
  /** Submissions per second per tenant; 0 sets no limit. */
  readonly submitRatePerSecond: number;
}

type Role = Topology['currentRoles'][number];
type WorkerProtocol = ClusterInfo['protocols']['workerProtocols'][number];

/** The node id a lease holder names: holders are `<node id>#<incarnation>`. */
const nodeOf = (holder: string): string => holder.replace(/#[^#]*$/, '');

/**
 * `GET /api/cluster/info` (docs/cluster-info.md): built from what this node has running, not
 * from constants, so a client can rely on it. A worker protocol is advertised only when the node
 * can run a segment over it now: `local` with an in-process worker, `rest`/`grpc`/`queue` with
 * the protocol's keys configured, `pull` while the worker routes are served.
 */
export async function clusterInfo(coordinator: Coordinator, served: ServedSurfaces): Promise<ClusterInfo> {
  const { isLeader, holder, leader } = await coordinator.leadership();
  const config = coordinator.config;
  const store = coordinator.store;
  const shared = !store.exclusive;
  const crossNodeWakeups = store.signals !== undefined;
  const local = coordinator.workers.workers.some((w) => w.protocol === 'local');
  const { protocols: remote, queueBroker } = coordinator.remoteProtocols;
  const workerProtocols: WorkerProtocol[] = [
    ...(local ? (['local'] as const) : []),
    ...remote,
    ...(served.admin ? (['pull'] as const) : []),
  ];
  const roles: Role[] = [
    'api',
    ...(served.controlPlane ? (['control-plane'] as const) : []),
    ...(served.admin ? (['admin'] as const) : []),
    'dispatcher',
    ...(served.admin ? (['pull-worker-api'] as const) : []),
    ...(isLeader ? (['maintenance-leader'] as const) : []),
  ];
  const pushed = workerProtocols.some((p) => p !== 'pull');
  const remoteRun = workerProtocols.some((p) => p !== 'local');
  const topology: Topology = {
    supportedShapes: ['single-node', 'cluster'],
    currentShape: shared ? 'cluster' : 'single-node',
    roleVocabulary: ['api', 'control-plane', 'admin', 'dispatcher', 'pull-worker-api', 'maintenance-leader'],
    currentRoles: roles,
    executionMode: local && remoteRun ? 'in-process-and-remote' : local ? 'in-process' : 'remote-workers',
    matchingRole: {
      shape: 'in-node',
      wakeOwner: crossNodeWakeups ? 'store-notifications' : 'in-process',
      fallbackSweepMs: config.sweepIntervalMs,
    },
    taskDispatchMode: !served.admin ? 'push' : pushed ? 'push-and-pull' : 'pull',
    partitionPrimitives: ['tenant', 'pipeline', 'release'],
    backpressureModel: {
      kind: 'bounded-leased-claims',
      maxInFlight: config.maxInFlight,
      leaseMs: config.leaseMs,
      awaitAdmissionBudgets:
        (config.awaitAdmission?.budgets.size ?? 0) > 0 || config.awaitAdmission?.defaultBudget !== undefined,
      submitRatePerSecond: served.submitRatePerSecond > 0 ? served.submitRatePerSecond : null,
    },
  };
  return {
    service: 'capstan',
    build: buildInfo(),
    nodeId: config.nodeId,
    roles,
    store: { provider: store.dialect, shared },
    protocols: {
      ...PROTOCOLS,
      workerProtocols,
      queueBroker,
      payloadEncodings: [TPF_PAYLOAD_ENCODING],
      envelopeEncoding: ENVELOPE_ENCODING,
      awaitTransports: [...(served.controlPlane ? [INTERACTION_API] : []), ...served.awaitTransports],
    },
    capabilities: {
      awaitInbox: served.controlPlane,
      dlqRedrive: served.admin,
      releasePinning: true,
      idempotencyPolicies: ['OPTIONAL_CLIENT_KEY', 'CLIENT_KEY_REQUIRED', 'SERVER_KEY_ONLY'],
      crossNodeWakeups,
    },
    topology,
    backend: await backendOf(coordinator),
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
}

/** The store's capabilities and what an operator should know about them. */
async function backendOf(coordinator: Coordinator): Promise<Backend> {
  const store = coordinator.store;
  const settings = await store.durabilitySettings();
  const warnings: Backend['warnings'][number][] = [];
  if (store.dialect === 'sqlite') {
    const durableCommits = settings.synchronous === 'FULL' || settings.synchronous === 'EXTRA';
    warnings.push(
      {
        code: 'single_writer',
        message: 'SQLite has one writer: this process owns the file, and commits are serialised.',
      },
      {
        code: 'no_cross_node',
        message: 'A SQLite store serves one node: a cluster of several nodes needs PostgreSQL.',
      },
    );
    if (!durableCommits)
      warnings.push({
        code: 'relaxed_durability',
        message: `synchronous=${settings.synchronous ?? 'unknown'}: a power loss may lose the last commits.`,
      });
    return {
      provider: 'sqlite',
      capabilities: {
        sharedByNodes: false,
        concurrentWriters: false,
        crossNodeWakeups: false,
        skipLockedClaims: false,
        onlineBackup: store.onlineBackup !== undefined,
        durableCommits,
      },
      warnings,
    };
  }
  const durableCommits = settings.synchronous_commit !== 'off';
  if (!durableCommits)
    warnings.push({
      code: 'relaxed_durability',
      message: 'synchronous_commit=off: a server crash may lose the last commits.',
    });
  return {
    provider: 'postgres',
    capabilities: {
      sharedByNodes: true,
      concurrentWriters: true,
      crossNodeWakeups: store.signals !== undefined,
      skipLockedClaims: true,
      onlineBackup: store.onlineBackup !== undefined,
      durableCommits,
    },
    warnings,
  };
}
