import type { ArtifactStore } from '../releases/artifact-store.ts';
import { LIVE_STATUSES, type LiveRelease } from '../store/live-releases.ts';
import { releaseFromArtifact } from '../worker/release-from-artifact.ts';
import type { Coordinator } from './coordinator.ts';
import { hostOnLocalWorker } from './host-local-pipelines.ts';
import type { LocalWorker } from './workers/local-worker.ts';

/** A release the local worker keeps hosting, loaded from its stored artifact, for its live executions. */
export interface KeptRelease {
  readonly pipelineId: string;
  readonly releaseVersion: string;
  readonly live: number;
}

/** A release with live executions that no worker here or elsewhere can run now. */
export interface StrandedRelease extends LiveRelease {
  /** The first few of its live executions, newest first. */
  readonly executionIds: readonly string[];
  /** Why it cannot be hosted here (the artifact is missing, no local worker…). */
  readonly reason: string;
}

/** How many execution ids a warning names. */
const NAMED_IDS = 3;

/**
 * Keeps every release that still has non-terminal executions runnable: a release the local
 * worker does not host yet (an older build of a pipeline whose file changed, or a pipeline no
 * longer given to `--pipelines`) is loaded from its stored, self-contained artifact and hosted
 * beside the current one, so executions parked on it finish on the code they were pinned to.
 * What can be hosted neither here nor by a healthy registered worker is returned as stranded,
 * for the start-up warning.
 */
export async function hostLiveReleases(
  coordinator: Coordinator,
  worker: LocalWorker | undefined,
  options: { tenantId: string; nowMs: number; artifacts: ArtifactStore; unpackDir: string },
): Promise<{ kept: KeptRelease[]; stranded: StrandedRelease[] }> {
  const { store } = coordinator;
  const kept: KeptRelease[] = [];
  const stranded: StrandedRelease[] = [];
  const hosted = (r: LiveRelease) =>
    worker
      ?.hostedReleases()
      .some(
        (h) =>
          h.tenantId === r.tenantId && h.pipelineId === r.pipelineId && h.releaseVersion === r.releaseVersion,
      ) ?? false;
  for (const live of await store.listLiveReleases()) {
    if (hosted(live)) continue;
    let reason = worker ? `tenant ${live.tenantId} is not hosted locally` : 'no local worker';
    if (worker && live.tenantId === options.tenantId) {
      try {
        await keep(coordinator, worker, live, options);
        kept.push({ pipelineId: live.pipelineId, releaseVersion: live.releaseVersion, live: live.live });
        continue;
      } catch (error) {
        reason = error instanceof Error ? error.message : String(error);
      }
    }
    const remote = await coordinator.lifecycle.list(live.tenantId, live.pipelineId, {
      releaseVersion: live.releaseVersion,
    });
    if (remote.some((w) => w.state === 'HEALTHY')) continue;
    const executions = await store.listExecutions(live.tenantId, {
      pipelineId: live.pipelineId,
      releaseVersion: live.releaseVersion,
      statuses: LIVE_STATUSES,
      limit: NAMED_IDS,
    });
    stranded.push({ ...live, executionIds: executions.map((e) => e.executionId), reason });
  }
  return { kept, stranded };
}

/** Loads one registered release from the artifact store and hosts it on the local worker. */
async function keep(
  coordinator: Coordinator,
  worker: LocalWorker,
  live: LiveRelease,
  options: { nowMs: number; artifacts: ArtifactStore; unpackDir: string },
): Promise<void> {
  const record = await coordinator.store.getRelease(live.tenantId, live.pipelineId, live.releaseVersion);
  if (!record) throw new Error(`release ${live.releaseVersion} is not registered`);
  const release = await releaseFromArtifact(
    options.artifacts,
    {
      digest: record.primaryArtifactDigest,
      pipelineId: record.pipelineId,
      contractVersion: record.contractVersion,
      releaseVersion: record.releaseVersion,
    },
    { unpackDir: options.unpackDir },
  );
  // The worker's row already names the current release of a pipeline it hosts from files.
  const register = !worker
    .hostedReleases()
    .some((h) => h.tenantId === live.tenantId && h.pipelineId === live.pipelineId);
  await hostOnLocalWorker(coordinator, worker, release, {
    tenantId: live.tenantId,
    nowMs: options.nowMs,
    register,
  });
}

/** The start-up lines: one per kept release, one warning per stranded one. */
export function liveReleaseLines(result: {
  kept: readonly KeptRelease[];
  stranded: readonly StrandedRelease[];
}): {
  kept: string[];
  warnings: string[];
} {
  const plural = (n: number) => `${n} live execution${n === 1 ? '' : 's'}`;
  return {
    kept: result.kept.map(
      (k) => `${k.pipelineId} @ ${k.releaseVersion} kept for ${plural(k.live)} (from its stored artifact)`,
    ),
    warnings: result.stranded.map((s) => {
      const more = s.live > s.executionIds.length ? `, and ${s.live - s.executionIds.length} more` : '';
      return (
        `${plural(s.live)} of ${s.pipelineId} @ ${s.releaseVersion} (tenant ${s.tenantId}) cannot run: ` +
        `no healthy worker hosts that release and this coordinator cannot (${s.reason}); ` +
        `executions ${s.executionIds.join(', ')}${more}`
      );
    }),
  };
}
