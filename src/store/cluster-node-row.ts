/**
 * A coordinator node as the node registry records it: one row per node id, written by the
 * node itself at start and at every heartbeat, and marked stopped when it stops cleanly.
 */
export interface ClusterNodeRecord {
  readonly nodeId: string;
  /** The running process: `<node id>#<incarnation>`, as it holds leases; a restart is a new one. */
  readonly holder: string;
  /** Where its API listens, once it does (null before). */
  readonly address: string | null;
  /** The package version it runs. */
  readonly version: string;
  readonly startedAtMs: number;
  readonly heartbeatAtMs: number;
  /** Its own readiness (maintenance loop and clock) at its last heartbeat. */
  readonly ready: boolean;
  /** When it stopped cleanly; null while it runs, or after a crash. */
  readonly stoppedAtMs: number | null;
}

/** A heartbeat: everything but `stoppedAtMs`, which a heartbeat clears. */
export type NodeHeartbeat = Omit<ClusterNodeRecord, 'stoppedAtMs'>;

export interface ClusterNodeRow {
  node_id: string;
  holder: string;
  address: string | null;
  version: string;
  started_at: number;
  heartbeat_at: number;
  /** 0/1 in SQLite, a boolean in PostgreSQL. */
  ready: number | boolean;
  stopped_at: number | null;
}

export const clusterNodeFromRow = (r: ClusterNodeRow): ClusterNodeRecord => ({
  nodeId: r.node_id,
  holder: r.holder,
  address: r.address,
  version: r.version,
  startedAtMs: r.started_at,
  heartbeatAtMs: r.heartbeat_at,
  ready: Boolean(r.ready),
  stoppedAtMs: r.stopped_at,
});

/**
 * The heartbeat upsert, both dialects (`@ready` bound as each stores booleans). Guarded on the
 * start instant: a process that started earlier than the one now recorded under the same node
 * id (an old incarnation still running, a misconfigured twin) does not overwrite it.
 */
export const HEARTBEAT_SQL = `INSERT INTO cluster_nodes AS n
    (node_id, holder, address, version, started_at, heartbeat_at, ready, stopped_at)
  VALUES (@nodeId, @holder, @address, @version, @startedAtMs, @heartbeatAtMs, @ready, NULL)
  ON CONFLICT (node_id) DO UPDATE SET
    holder = excluded.holder, address = excluded.address, version = excluded.version,
    started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at, ready = excluded.ready,
    stopped_at = NULL
  WHERE n.started_at <= excluded.started_at`;

export const MARK_STOPPED_SQL =
  'UPDATE cluster_nodes SET stopped_at = @atMs, heartbeat_at = @atMs, ready = @notReady WHERE node_id = @nodeId AND holder = @holder';

export const LIST_NODES_SQL = 'SELECT * FROM cluster_nodes ORDER BY node_id';

export const PRUNE_NODES_SQL = 'DELETE FROM cluster_nodes WHERE heartbeat_at < @beforeMs';
