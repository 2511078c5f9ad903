import type { WorkerStateRecord } from './records.ts';

/** A worker's current state is one row; its history keeps the transitions only. */
export interface WorkerRow {
  tenant_id: string;
  pipeline_id: string;
  worker_id: string;
  contract_version: string;
  release_version: string;
  protocol: string;
  endpoint: string;
  artifact_id: string | null;
  artifact_digest: string | null;
  registered_at: number;
  last_heartbeat_at: number;
  draining_since: number | null;
  unavailable_since: number | null;
}

export const workerFromRow = (r: WorkerRow): WorkerStateRecord => ({
  tenantId: r.tenant_id,
  pipelineId: r.pipeline_id,
  workerId: r.worker_id,
  contractVersion: r.contract_version,
  releaseVersion: r.release_version,
  protocol: r.protocol,
  endpoint: r.endpoint,
  artifactId: r.artifact_id,
  artifactDigest: r.artifact_digest,
  registeredAtMs: r.registered_at,
  lastHeartbeatAtMs: r.last_heartbeat_at,
  drainingSinceMs: r.draining_since,
  unavailableSinceMs: r.unavailable_since,
});
