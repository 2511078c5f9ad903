import {
  clusterNodeFromRow,
  HEARTBEAT_SQL,
  LIST_NODES_SQL,
  MARK_STOPPED_SQL,
  PRUNE_NODES_SQL,
  type ClusterNodeRecord,
  type ClusterNodeRow,
  type NodeHeartbeat,
} from '../cluster-node-row.ts';
import type { Statements } from './statements.ts';

export function recordNodeHeartbeat(sql: Statements, h: NodeHeartbeat): void {
  sql.get(HEARTBEAT_SQL).run({ ...h, ready: h.ready ? 1 : 0 });
}

export function markNodeStopped(sql: Statements, c: { nodeId: string; holder: string; atMs: number }): void {
  sql.get(MARK_STOPPED_SQL).run({ ...c, notReady: 0 });
}

export function listNodes(sql: Statements): ClusterNodeRecord[] {
  return (sql.get(LIST_NODES_SQL).all() as ClusterNodeRow[]).map(clusterNodeFromRow);
}

export function pruneNodes(sql: Statements, beforeMs: number): number {
  return sql.get(PRUNE_NODES_SQL).run({ beforeMs }).changes;
}
