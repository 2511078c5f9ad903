import type { Clock } from '../runtime/clock.ts';
import type { Logger } from '../runtime/logger.ts';
import type { ClusterNodeRecord } from '../store/cluster-node-row.ts';
import type { Store } from '../store/store-port.ts';
import type { EngineConfig } from './engine-config.ts';

/**
 * A node as the registry shows it, judged by the reader's clock:
 * - `live`: it heartbeated within `staleAfterMs`;
 * - `stale`: it has not (it crashed, hangs, or lost the database) — it is pruned later;
 * - `stopped`: it stopped cleanly (its last act was to say so).
 */
export const NodeState = { LIVE: 'live', STALE: 'stale', STOPPED: 'stopped' } as const;
export type NodeState = (typeof NodeState)[keyof typeof NodeState];

const HOUR_MS = 3_600_000;

/**
 * How often a node heartbeats: every maintenance pass carries the heartbeat, and passes come
 * at least this often (see the coordinator's `#scheduleWake`), so no timer of its own is needed.
 */
export const nodeHeartbeatIntervalMs = (config: EngineConfig): number =>
  Math.min(config.sweepIntervalMs, config.workerStaleAfterMs / 3);

/** Three missed heartbeats make a node stale: one late pass is not a dead node. */
const STALE_AFTER_HEARTBEATS = 3;

/**
 * The maintenance leader deletes nodes silent for an hour (or twenty stale periods, when that
 * is longer): long enough to see what crashed, short enough that node ids of restarts with
 * fresh ids (`host:port` on a new port) do not pile up.
 */
export const nodePruneAfterMs = (config: EngineConfig): number =>
  Math.max(HOUR_MS, 20 * STALE_AFTER_HEARTBEATS * nodeHeartbeatIntervalMs(config));

export interface NodeView extends ClusterNodeRecord {
  readonly state: NodeState;
  /** Whether this process holds the maintenance leadership (by holder, so a restart is not it). */
  readonly leader: boolean;
}

/** How the registry's rows read at `nowMs`, with the leader marked. */
export function viewNodes(
  records: readonly ClusterNodeRecord[],
  nowMs: number,
  staleAfterMs: number,
  leaderHolder: string | undefined,
): NodeView[] {
  return records.map((r) => ({
    ...r,
    state:
      r.stoppedAtMs !== null
        ? NodeState.STOPPED
        : nowMs - r.heartbeatAtMs > staleAfterMs
          ? NodeState.STALE
          : NodeState.LIVE,
    leader: r.stoppedAtMs === null && r.holder === leaderHolder,
  }));
}

/** The registry as one node reads it. */
export interface NodeList {
  readonly nodes: NodeView[];
  readonly heartbeatIntervalMs: number;
  /** Silent this long, a node is stale. */
  readonly staleAfterMs: number;
}

export interface NodePresenceDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly nodeId: string;
  /** This process as it holds leases: `<node id>#<incarnation>`. */
  readonly holder: string;
  readonly version: string;
  readonly intervalMs: number;
}

/**
 * This node's row in the registry. The maintenance loop calls `beat` every pass; it writes at
 * most every half interval (passes may come far more often under load) unless something it
 * reports changed, and a failed write is logged, never fatal to the pass.
 */
export class NodePresence {
  readonly #d: NodePresenceDeps;
  #startedAtMs: number | undefined;
  #address: string | null = null;
  #last: { atMs: number; ready: boolean; address: string | null } | undefined;
  #stopped = false;

  constructor(deps: NodePresenceDeps) {
    this.#d = deps;
  }

  /** Where this node's API listens, known once it does: reported at the next beat. */
  setAddress(address: string): void {
    this.#address = address;
  }

  async beat(ready: boolean): Promise<void> {
    if (this.#stopped) return;
    const nowMs = this.#d.clock.now();
    this.#startedAtMs ??= nowMs;
    const last = this.#last;
    if (
      last &&
      last.ready === ready &&
      last.address === this.#address &&
      nowMs - last.atMs < this.#d.intervalMs / 2
    )
      return;
    try {
      await this.#d.store.recordNodeHeartbeat({
        nodeId: this.#d.nodeId,
        holder: this.#d.holder,
        address: this.#address,
        version: this.#d.version,
        startedAtMs: this.#startedAtMs,
        heartbeatAtMs: nowMs,
        ready,
      });
      this.#last = { atMs: nowMs, ready, address: this.#address };
    } catch (error) {
      this.#d.logger.warn({ err: error }, 'node heartbeat could not be recorded');
    }
  }

  /** Every node in the registry, judged by this node's clock, `leaderHolder`'s row marked leader. */
  async list(leaderHolder: string | undefined): Promise<NodeList> {
    const staleAfterMs = STALE_AFTER_HEARTBEATS * this.#d.intervalMs;
    const records = await this.#d.store.listNodes();
    return {
      nodes: viewNodes(records, this.#d.clock.now(), staleAfterMs, leaderHolder),
      heartbeatIntervalMs: this.#d.intervalMs,
      staleAfterMs,
    };
  }

  /** Says this node stopped cleanly, so peers show it stopped rather than stale. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#last === undefined) return;
    await this.#d.store
      .markNodeStopped({ nodeId: this.#d.nodeId, holder: this.#d.holder, atMs: this.#d.clock.now() })
      .catch((error: unknown) => this.#d.logger.warn({ err: error }, 'node stop could not be recorded'));
  }
}
