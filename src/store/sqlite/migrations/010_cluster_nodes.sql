-- compatibility: additive
-- The node registry: each coordinator node records itself at start and at every maintenance
-- pass (its heartbeat), so every node can list the cluster with each node's last heartbeat,
-- readiness and version. A clean stop sets stopped_at; the maintenance leader deletes nodes
-- silent for long. `holder` is the process as it holds leases (`<node id>#<incarnation>`).
CREATE TABLE cluster_nodes (
  node_id TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  address TEXT,
  version TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  heartbeat_at INTEGER NOT NULL,
  ready INTEGER NOT NULL,
  stopped_at INTEGER
);
