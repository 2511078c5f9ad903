import type { PipelineContract } from '../releases/pipeline-contract.ts';
import type { ReleaseRecord } from './records.ts';
import { parseJson } from './rows.ts';

/** A `releases` row as both dialects read it. */
export interface ReleaseRow {
  tenant_id: string;
  pipeline_id: string;
  release_version: string;
  contract_version: string;
  descriptor_json: string;
  contract_json: string;
  primary_artifact_digest: string;
  created_at: number;
}

export const releaseFromRow = (r: ReleaseRow): ReleaseRecord => ({
  tenantId: r.tenant_id,
  pipelineId: r.pipeline_id,
  releaseVersion: r.release_version,
  contractVersion: r.contract_version,
  descriptor: parseJson(r.descriptor_json),
  contract: parseJson(r.contract_json) as PipelineContract,
  primaryArtifactDigest: r.primary_artifact_digest,
  createdAtMs: r.created_at,
});
