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
import { exec, row, rows, type Db } from './sql.ts';

const RELEASE_KEY =
  'tenant_id = @tenantId AND pipeline_id = @pipelineId AND release_version = @releaseVersion';

/** Releases are immutable: insert-if-absent, then compare what is there. */
export async function registerRelease(db: Db, r: ReleaseRecord): Promise<RegisterReleaseOutcome> {
  const descriptorJson = canonicalJson(r.descriptor);
  const inserted = await exec(
    db,
    `INSERT INTO releases (tenant_id, pipeline_id, release_version, contract_version, descriptor_json,
       contract_json, primary_artifact_digest, created_at)
     VALUES (@tenantId, @pipelineId, @releaseVersion, @contractVersion, @descriptorJson, @contractJson,
       @digest, @createdAtMs)
     ON CONFLICT (tenant_id, pipeline_id, release_version) DO NOTHING`,
    {
      tenantId: r.tenantId,
      pipelineId: r.pipelineId,
      releaseVersion: r.releaseVersion,
      contractVersion: r.contractVersion,
      descriptorJson,
      contractJson: canonicalJson(r.contract),
      digest: r.primaryArtifactDigest,
      createdAtMs: r.createdAtMs,
    },
  );
  if (inserted === 1) return 'created';
  const existing = await row<ReleaseRow>(db, `SELECT * FROM releases WHERE ${RELEASE_KEY}`, r);
  if (!existing) throw new Error(`release ${r.releaseVersion} vanished during registration`);
  return existing.descriptor_json === descriptorJson && existing.contract_version === r.contractVersion
    ? 'identical'
    : 'conflict';
}

export async function activateRelease(db: Db, a: Omit<ReleaseActivation, 'seq'>): Promise<boolean> {
  const inserted = await exec(
    db,
    `INSERT INTO release_activations (tenant_id, pipeline_id, release_version, activated_at, actor)
     SELECT @tenantId, @pipelineId, @releaseVersion, @activatedAtMs, @actor
     WHERE EXISTS (SELECT 1 FROM releases WHERE ${RELEASE_KEY})`,
    a,
  );
  return inserted === 1;
}

export async function getRelease(
  db: Db,
  tenantId: string,
  pipelineId: string,
  releaseVersion: string,
): Promise<ReleaseRecord | undefined> {
  const r = await row<ReleaseRow>(db, `SELECT * FROM releases WHERE ${RELEASE_KEY}`, {
    tenantId,
    pipelineId,
    releaseVersion,
  });
  return r && releaseFromRow(r);
}

export async function getActiveRelease(
  db: Db,
  tenantId: string,
  pipelineId: string,
): Promise<ReleaseRecord | undefined> {
  const r = await row<ReleaseRow>(
    db,
    `SELECT r.* FROM release_activations a JOIN releases r
       ON r.tenant_id = a.tenant_id AND r.pipeline_id = a.pipeline_id AND r.release_version = a.release_version
     WHERE a.tenant_id = @tenantId AND a.pipeline_id = @pipelineId ORDER BY a.seq DESC LIMIT 1`,
    { tenantId, pipelineId },
  );
  return r && releaseFromRow(r);
}

export async function listReleases(db: Db, tenantId: string, pipelineId: string): Promise<ReleaseRecord[]> {
  const found = await rows<ReleaseRow>(
    db,
    `SELECT * FROM releases WHERE tenant_id = @tenantId AND pipeline_id = @pipelineId
     ORDER BY created_at, release_version`,
    { tenantId, pipelineId },
  );
  return found.map(releaseFromRow);
}

export async function listActivations(
  db: Db,
  tenantId: string,
  pipelineId: string,
): Promise<ReleaseActivation[]> {
  const found = await rows<{
    seq: number;
    tenant_id: string;
    pipeline_id: string;
    release_version: string;
    activated_at: number;
    actor: string;
  }>(
    db,
    'SELECT * FROM release_activations WHERE tenant_id = @tenantId AND pipeline_id = @pipelineId ORDER BY seq',
    { tenantId, pipelineId },
  );
  return found.map((r) => ({
    seq: r.seq,
    tenantId: r.tenant_id,
    pipelineId: r.pipeline_id,
    releaseVersion: r.release_version,
    activatedAtMs: r.activated_at,
    actor: r.actor,
  }));
}

/** The tenant's registered pipelines with their active release and live counts. */
export async function listPipelines(db: Db, tenantId: string): Promise<PipelineSummaryRecord[]> {
  const [pipelines, counts] = await Promise.all([
    rows<PipelineRow>(db, PIPELINES_SQL, { tenantId }),
    rows<LiveCountRow>(db, LIVE_COUNTS_SQL, { tenantId }),
  ]);
  return pipelineSummaries(pipelines, counts);
}
