import { canonicalJson } from '../../util/canonical-json.ts';
import type { ReleaseActivation, ReleaseRecord } from '../records.ts';
import {
  LIVE_COUNTS_SQL,
  PIPELINES_SQL,
  pipelineSummaries,
  type LiveCountRow,
  type PipelineRow,
  type PipelineSummaryRecord,
} from '../pipeline-summaries.ts';
import type { RegisterReleaseOutcome } from '../store-port.ts';
import { releaseFromRow, type ReleaseRow } from '../release-row.ts';
import type { Statements } from './statements.ts';

/** Releases are immutable: insert-if-absent, then compare what is there. */
export function registerRelease(sql: Statements, r: ReleaseRecord): RegisterReleaseOutcome {
  const descriptorJson = canonicalJson(r.descriptor);
  const inserted = sql
    .get(
      `INSERT INTO releases (tenant_id, pipeline_id, release_version, contract_version, descriptor_json, contract_json,
         primary_artifact_digest, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (tenant_id, pipeline_id, release_version) DO NOTHING`,
    )
    .run(
      r.tenantId,
      r.pipelineId,
      r.releaseVersion,
      r.contractVersion,
      descriptorJson,
      canonicalJson(r.contract),
      r.primaryArtifactDigest,
      r.createdAtMs,
    );
  if (inserted.changes === 1) return 'created';
  const existing = sql
    .get('SELECT * FROM releases WHERE tenant_id = ? AND pipeline_id = ? AND release_version = ?')
    .get(r.tenantId, r.pipelineId, r.releaseVersion) as ReleaseRow;
  return existing.descriptor_json === descriptorJson && existing.contract_version === r.contractVersion
    ? 'identical'
    : 'conflict';
}

export function activateRelease(sql: Statements, a: Omit<ReleaseActivation, 'seq'>): boolean {
  const result = sql
    .get(
      `INSERT INTO release_activations (tenant_id, pipeline_id, release_version, activated_at, actor)
       SELECT ?, ?, ?, ?, ? WHERE EXISTS
         (SELECT 1 FROM releases WHERE tenant_id = ? AND pipeline_id = ? AND release_version = ?)`,
    )
    .run(
      a.tenantId,
      a.pipelineId,
      a.releaseVersion,
      a.activatedAtMs,
      a.actor,
      a.tenantId,
      a.pipelineId,
      a.releaseVersion,
    );
  return result.changes === 1;
}

export function getRelease(sql: Statements, tenantId: string, pipelineId: string, releaseVersion: string) {
  const row = sql
    .get('SELECT * FROM releases WHERE tenant_id = ? AND pipeline_id = ? AND release_version = ?')
    .get(tenantId, pipelineId, releaseVersion) as ReleaseRow | undefined;
  return row && releaseFromRow(row);
}

export function getActiveRelease(
  sql: Statements,
  tenantId: string,
  pipelineId: string,
): ReleaseRecord | undefined {
  const row = sql
    .get(
      `SELECT r.* FROM release_activations a JOIN releases r
         ON r.tenant_id = a.tenant_id AND r.pipeline_id = a.pipeline_id AND r.release_version = a.release_version
       WHERE a.tenant_id = ? AND a.pipeline_id = ? ORDER BY a.seq DESC LIMIT 1`,
    )
    .get(tenantId, pipelineId) as ReleaseRow | undefined;
  return row && releaseFromRow(row);
}

export function listReleases(sql: Statements, tenantId: string, pipelineId: string): ReleaseRecord[] {
  const rows = sql
    .get(
      'SELECT * FROM releases WHERE tenant_id = ? AND pipeline_id = ? ORDER BY created_at, release_version',
    )
    .all(tenantId, pipelineId) as ReleaseRow[];
  return rows.map(releaseFromRow);
}

export function listActivations(sql: Statements, tenantId: string, pipelineId: string): ReleaseActivation[] {
  const rows = sql
    .get('SELECT * FROM release_activations WHERE tenant_id = ? AND pipeline_id = ? ORDER BY seq')
    .all(tenantId, pipelineId) as {
    seq: number;
    tenant_id: string;
    pipeline_id: string;
    release_version: string;
    activated_at: number;
    actor: string;
  }[];
  return rows.map((r) => ({
    seq: r.seq,
    tenantId: r.tenant_id,
    pipelineId: r.pipeline_id,
    releaseVersion: r.release_version,
    activatedAtMs: r.activated_at,
    actor: r.actor,
  }));
}

/** The tenant's registered pipelines with their active release and live counts. */
export function listPipelines(sql: Statements, tenantId: string): PipelineSummaryRecord[] {
  const pipelines = sql.get(PIPELINES_SQL).all({ tenantId }) as PipelineRow[];
  const counts = sql.get(LIVE_COUNTS_SQL).all({ tenantId }) as LiveCountRow[];
  return pipelineSummaries(pipelines, counts);
}
