import type { LocalPipelineSource } from '../releases/load-pipelines.ts';
import { buildRelease } from '../releases/build-release.ts';
import { isPipeline, type Pipeline } from '../sdk/define-pipeline.ts';
import type { ReleaseIdentity } from '../worker-protocol/envelopes.ts';

/** A release this worker runs: the pipeline's code and the identity the coordinator pins. */
export interface WorkerRelease extends ReleaseIdentity {
  readonly pipeline: Pipeline;
}

/** What a command names: the pinned identity the worker compares with its own. */
export interface CommandIdentity {
  readonly tenantId: string;
  readonly pipelineId: string;
  readonly contractVersion: string;
  readonly releaseVersion: string;
}

/**
 * Builds each pipeline's release exactly as a coordinator hosting it locally does (same
 * contract, same deterministic artifact, hence the same `releaseVersion`), so a worker and a
 * coordinator built from the same sources agree on what an execution is pinned to. `prebuilt`
 * releases (loaded from a registered artifact) are hosted as they are; one release per pipeline.
 */
export async function buildWorkerReleases(
  sources: readonly (Pipeline | LocalPipelineSource)[],
  prebuilt: readonly WorkerRelease[] = [],
): Promise<WorkerRelease[]> {
  const releases: WorkerRelease[] = [];
  for (const release of prebuilt) {
    if (releases.some((r) => r.pipelineId === release.pipelineId))
      throw new Error(`pipeline '${release.pipelineId}' is given twice`);
    releases.push(release);
  }
  for (const source of sources) {
    const { pipeline, sourceFile } = isPipeline(source)
      ? { pipeline: source, sourceFile: undefined }
      : source;
    if (releases.some((r) => r.pipelineId === pipeline.id))
      throw new Error(`pipeline '${pipeline.id}' is given twice`);
    const { descriptor, contract } = await buildRelease(pipeline, { sourceFile });
    const artifact = descriptor.artifacts[0];
    releases.push({
      pipeline,
      pipelineId: pipeline.id,
      contractVersion: contract.contractVersion,
      releaseVersion: descriptor.releaseVersion,
      artifactId: artifact?.artifactId ?? null,
      artifactDigest: artifact?.digest ?? null,
    });
  }
  return releases;
}

/** The releases one worker hosts, for one tenant, and the identity check of every command. */
export class HostedReleases {
  readonly tenantId: string;
  readonly releases: readonly WorkerRelease[];

  constructor(tenantId: string, releases: readonly WorkerRelease[]) {
    this.tenantId = tenantId;
    this.releases = releases;
  }

  /** The release a command is pinned to, or why this worker does not host it. */
  match(command: CommandIdentity): WorkerRelease | string {
    const release = this.releases.find((r) => r.pipelineId === command.pipelineId);
    const hosted = this.releases.map((r) => `${r.pipelineId}@${r.releaseVersion}`).join(', ');
    const mismatch = (what: string) =>
      `transition command targets ${what}, but this worker hosts ${hosted || 'nothing'} for tenant ${this.tenantId}`;
    if (command.tenantId !== this.tenantId) return mismatch(`tenant ${command.tenantId}`);
    if (!release) return mismatch(`pipeline ${command.pipelineId}`);
    if (
      release.releaseVersion !== command.releaseVersion ||
      release.contractVersion !== command.contractVersion
    )
      return mismatch(
        `${command.pipelineId}@${command.releaseVersion} (contract ${command.contractVersion})`,
      );
    return release;
  }
}
