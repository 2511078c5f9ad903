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
import { exec, rows, type Db } from './sql.ts';

// One statement each, on the pool: a heartbeat never waits in, nor holds up, a group commit.

export async function recordNodeHeartbeat(db: Db, h: NodeHeartbeat): Promise<void> {
  await exec(db, HEARTBEAT_SQL, h);
}

export async function markNodeStopped(
  db: Db,
  c: { nodeId: string; holder: string; atMs: number },
): Promise<void> {
  await exec(db, MARK_STOPPED_SQL, { ...c, notReady: false });
}

export async function listNodes(db: Db): Promise<ClusterNodeRecord[]> {
  return (await rows<ClusterNodeRow>(db, LIST_NODES_SQL)).map(clusterNodeFromRow);
}

export const pruneNodes = (db: Db, beforeMs: number): Promise<number> =>
  exec(db, PRUNE_NODES_SQL, { beforeMs });
