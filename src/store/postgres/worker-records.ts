import type { WorkerEvent, WorkerRegistrationRecord, WorkerSignal, WorkerStateRecord } from '../records.ts';
import { parseJson } from '../rows.ts';
import { registrationData } from '../worker-registration-data.ts';
import { workerFromRow, type WorkerRow } from '../worker-row.ts';
import { exec, row, rows, type Db } from './sql.ts';

const KEY = 'tenant_id = @tenantId AND pipeline_id = @pipelineId AND worker_id = @workerId';

async function appendEvent(db: Db, e: Omit<WorkerEvent, 'seq'>): Promise<void> {
  await exec(
    db,
    `INSERT INTO worker_events (tenant_id, pipeline_id, worker_id, type, data_json, at)
     VALUES (@tenantId, @pipelineId, @workerId, @type, @dataJson, @atMs)`,
    { ...e, dataJson: JSON.stringify(e.data) },
  );
}

const UPSERT = `INSERT INTO workers (tenant_id, pipeline_id, worker_id, contract_version, release_version, protocol,
    endpoint, artifact_id, artifact_digest, registered_at, last_heartbeat_at, draining_since, unavailable_since)
  VALUES (@tenantId, @pipelineId, @workerId, @contractVersion, @releaseVersion, @protocol, @endpoint,
    @artifactId, @artifactDigest, @atMs, @atMs, NULL, NULL)
  ON CONFLICT (tenant_id, pipeline_id, worker_id) DO UPDATE SET
    contract_version = excluded.contract_version, release_version = excluded.release_version,
    protocol = excluded.protocol, endpoint = excluded.endpoint, artifact_id = excluded.artifact_id,
    artifact_digest = excluded.artifact_digest, registered_at = excluded.registered_at,
    last_heartbeat_at = excluded.last_heartbeat_at, draining_since = NULL, unavailable_since = NULL`;

export async function registerWorker(
  db: Db,
  r: WorkerRegistrationRecord,
  options: { atMs: number; keepEndpoint: boolean },
): Promise<WorkerStateRecord | undefined> {
  // `keepEndpoint`: the upsert updates an existing row only where protocol and endpoint match.
  const guard = options.keepEndpoint
    ? ' WHERE workers.protocol = excluded.protocol AND workers.endpoint = excluded.endpoint'
    : '';
  const written = await row<WorkerRow>(db, `${UPSERT}${guard} RETURNING *`, { ...r, atMs: options.atMs });
  if (!written) return undefined;
  await appendEvent(db, {
    tenantId: r.tenantId,
    pipelineId: r.pipelineId,
    workerId: r.workerId,
    type: 'REGISTER',
    data: registrationData(r),
    atMs: options.atMs,
  });
  return workerFromRow(written);
}

/** The column update each signal makes; a heartbeat also ends UNAVAILABLE. */
const SIGNAL_UPDATES: Record<WorkerSignal['type'], string> = {
  HEARTBEAT: 'last_heartbeat_at = @atMs, unavailable_since = NULL',
  DRAIN: 'draining_since = COALESCE(draining_since, @atMs)',
  UNDRAIN: 'draining_since = NULL',
  UNAVAILABLE: 'unavailable_since = @atMs',
};

/** The worker after the signal, and whether the signal joined the history (a transition). */
export async function signalWorker(
  db: Db,
  s: WorkerSignal,
): Promise<{ worker: WorkerStateRecord; transition: boolean } | undefined> {
  // `before` reads the row as the statement's snapshot has it: its state just ahead of the update.
  const updated = await row<WorkerRow & { was_unavailable: boolean }>(
    db,
    `UPDATE workers SET ${SIGNAL_UPDATES[s.type].replaceAll('@atMs', '@atMs::bigint')}
     FROM (SELECT unavailable_since AS was FROM workers WHERE ${KEY}) before
     WHERE ${KEY}
     RETURNING workers.*, before.was IS NOT NULL AS was_unavailable`,
    { ...s },
  );
  if (!updated) return undefined;
  // A heartbeat is a transition only when it ends an UNAVAILABLE spell.
  const transition = s.type !== 'HEARTBEAT' || updated.was_unavailable;
  if (transition) await appendEvent(db, s);
  return { worker: workerFromRow(updated), transition };
}

export async function getWorker(
  db: Db,
  tenantId: string,
  pipelineId: string,
  workerId: string,
): Promise<WorkerStateRecord | undefined> {
  const found = await row<WorkerRow>(db, `SELECT * FROM workers WHERE ${KEY}`, {
    tenantId,
    pipelineId,
    workerId,
  });
  return found && workerFromRow(found);
}

export async function listWorkers(
  db: Db,
  tenantId: string,
  pipelineId: string,
): Promise<WorkerStateRecord[]> {
  const found = await rows<WorkerRow>(
    db,
    'SELECT * FROM workers WHERE tenant_id = @tenantId AND pipeline_id = @pipelineId ORDER BY worker_id',
    { tenantId, pipelineId },
  );
  return found.map(workerFromRow);
}

export async function listWorkerEvents(db: Db, tenantId: string, pipelineId: string): Promise<WorkerEvent[]> {
  const found = await rows<{
    seq: number;
    tenant_id: string;
    pipeline_id: string;
    worker_id: string;
    type: WorkerEvent['type'];
    data_json: string;
    at: number;
  }>(
    db,
    'SELECT * FROM worker_events WHERE tenant_id = @tenantId AND pipeline_id = @pipelineId ORDER BY seq',
    { tenantId, pipelineId },
  );
  return found.map((r) => ({
    seq: r.seq,
    tenantId: r.tenant_id,
    pipelineId: r.pipeline_id,
    workerId: r.worker_id,
    type: r.type,
    data: parseJson(r.data_json) as Record<string, unknown>,
    atMs: r.at,
  }));
}

export async function pruneWorkerEvents(db: Db, beforeMs: number, limit: number): Promise<number> {
  return exec(
    db,
    `DELETE FROM worker_events WHERE seq IN
       (SELECT seq FROM worker_events WHERE at < @beforeMs ORDER BY at, seq LIMIT @limit)`,
    { beforeMs, limit },
  );
}

export async function listWorkerPipelines(db: Db): Promise<{ tenantId: string; pipelineId: string }[]> {
  const found = await rows<{ tenant_id: string; pipeline_id: string }>(
    db,
    'SELECT DISTINCT tenant_id, pipeline_id FROM workers ORDER BY tenant_id, pipeline_id',
    {},
  );
  return found.map((r) => ({ tenantId: r.tenant_id, pipelineId: r.pipeline_id }));
}
