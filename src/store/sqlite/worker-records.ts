import type { WorkerEvent, WorkerRegistrationRecord, WorkerSignal, WorkerStateRecord } from '../records.ts';
import { parseJson } from '../rows.ts';
import { registrationData } from '../worker-registration-data.ts';
import { workerFromRow, type WorkerRow } from '../worker-row.ts';
import type { Statements } from './statements.ts';

const KEY = 'tenant_id = ? AND pipeline_id = ? AND worker_id = ?';

function appendEvent(sql: Statements, e: Omit<WorkerEvent, 'seq'>): void {
  sql
    .get(
      'INSERT INTO worker_events (tenant_id, pipeline_id, worker_id, type, data_json, at) VALUES (?, ?, ?, ?, ?, ?)',
    )
    .run(e.tenantId, e.pipelineId, e.workerId, e.type, JSON.stringify(e.data), e.atMs);
}

export function registerWorker(
  sql: Statements,
  r: WorkerRegistrationRecord,
  options: { atMs: number; keepEndpoint: boolean },
): WorkerStateRecord | undefined {
  // `keepEndpoint`: the upsert updates an existing row only where protocol and endpoint match.
  const guard = options.keepEndpoint
    ? 'WHERE workers.protocol = excluded.protocol AND workers.endpoint = excluded.endpoint'
    : '';
  const row = sql
    .get(
      `INSERT INTO workers (tenant_id, pipeline_id, worker_id, contract_version, release_version, protocol,
         endpoint, artifact_id, artifact_digest, registered_at, last_heartbeat_at, draining_since, unavailable_since)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)
       ON CONFLICT (tenant_id, pipeline_id, worker_id) DO UPDATE SET
         contract_version = excluded.contract_version, release_version = excluded.release_version,
         protocol = excluded.protocol, endpoint = excluded.endpoint, artifact_id = excluded.artifact_id,
         artifact_digest = excluded.artifact_digest, registered_at = excluded.registered_at,
         last_heartbeat_at = excluded.last_heartbeat_at, draining_since = NULL, unavailable_since = NULL
       ${guard}
       RETURNING *`,
    )
    .get(
      r.tenantId,
      r.pipelineId,
      r.workerId,
      r.contractVersion,
      r.releaseVersion,
      r.protocol,
      r.endpoint,
      r.artifactId,
      r.artifactDigest,
      options.atMs,
      options.atMs,
    ) as WorkerRow | undefined;
  if (!row) return undefined;
  appendEvent(sql, {
    tenantId: r.tenantId,
    pipelineId: r.pipelineId,
    workerId: r.workerId,
    type: 'REGISTER',
    data: registrationData(r),
    atMs: options.atMs,
  });
  return workerFromRow(row);
}

/** The column update each signal makes (`?` is the signal's instant); a heartbeat also ends UNAVAILABLE. */
const SIGNAL_UPDATES: Record<WorkerSignal['type'], string> = {
  HEARTBEAT: 'last_heartbeat_at = ?, unavailable_since = NULL',
  DRAIN: 'draining_since = COALESCE(draining_since, ?)',
  UNDRAIN: 'draining_since = NULL',
  UNAVAILABLE: 'unavailable_since = ?',
};

export function signalWorker(sql: Statements, s: WorkerSignal): WorkerStateRecord | undefined {
  const before = sql
    .get(`SELECT unavailable_since FROM workers WHERE ${KEY}`)
    .get(s.tenantId, s.pipelineId, s.workerId) as { unavailable_since: number | null } | undefined;
  if (!before) return undefined;
  const update = SIGNAL_UPDATES[s.type];
  const row = sql
    .get(`UPDATE workers SET ${update} WHERE ${KEY} RETURNING *`)
    .get(...(update.includes('?') ? [s.atMs] : []), s.tenantId, s.pipelineId, s.workerId) as
    WorkerRow | undefined;
  if (!row) return undefined;
  // A heartbeat is a transition only when it ends an UNAVAILABLE spell.
  if (s.type !== 'HEARTBEAT' || before.unavailable_since !== null) appendEvent(sql, s);
  return workerFromRow(row);
}

export function getWorker(
  sql: Statements,
  tenantId: string,
  pipelineId: string,
  workerId: string,
): WorkerStateRecord | undefined {
  const row = sql.get(`SELECT * FROM workers WHERE ${KEY}`).get(tenantId, pipelineId, workerId) as
    WorkerRow | undefined;
  return row && workerFromRow(row);
}

export function listWorkers(sql: Statements, tenantId: string, pipelineId: string): WorkerStateRecord[] {
  const rows = sql
    .get('SELECT * FROM workers WHERE tenant_id = ? AND pipeline_id = ? ORDER BY worker_id')
    .all(tenantId, pipelineId) as WorkerRow[];
  return rows.map(workerFromRow);
}

export function listWorkerEvents(sql: Statements, tenantId: string, pipelineId: string): WorkerEvent[] {
  const rows = sql
    .get('SELECT * FROM worker_events WHERE tenant_id = ? AND pipeline_id = ? ORDER BY seq')
    .all(tenantId, pipelineId) as {
    seq: number;
    tenant_id: string;
    pipeline_id: string;
    worker_id: string;
    type: WorkerEvent['type'];
    data_json: string;
    at: number;
  }[];
  return rows.map((r) => ({
    seq: r.seq,
    tenantId: r.tenant_id,
    pipelineId: r.pipeline_id,
    workerId: r.worker_id,
    type: r.type,
    data: parseJson(r.data_json) as Record<string, unknown>,
    atMs: r.at,
  }));
}

export function pruneWorkerEvents(sql: Statements, beforeMs: number, limit: number): number {
  return sql
    .get(
      'DELETE FROM worker_events WHERE seq IN (SELECT seq FROM worker_events WHERE at < ? ORDER BY at, seq LIMIT ?)',
    )
    .run(beforeMs, limit).changes;
}

export function listWorkerPipelines(sql: Statements): { tenantId: string; pipelineId: string }[] {
  const rows = sql
    .get('SELECT DISTINCT tenant_id, pipeline_id FROM workers ORDER BY tenant_id, pipeline_id')
    .all() as { tenant_id: string; pipeline_id: string }[];
  return rows.map((r) => ({ tenantId: r.tenant_id, pipelineId: r.pipeline_id }));
}
