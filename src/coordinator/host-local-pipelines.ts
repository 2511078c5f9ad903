import { buildRelease } from '../releases/build-release.ts';
import type { ArtifactStore } from '../releases/artifact-store.ts';
import type { LocalPipelineSource } from '../releases/load-pipelines.ts';
import type { Pipeline } from '../sdk/define-pipeline.ts';
import type { LocalWorker } from './workers/local-worker.ts';
import type { Coordinator } from './coordinator.ts';

export interface HostedPipeline {
  readonly pipelineId: string;
  readonly contractVersion: string;
  readonly releaseVersion: string;
  readonly activated: boolean;
}

/**
 * One-process mode: builds each pipeline's release, stores its artifact, registers it
 * (idempotently), activates it when it is not already the active release, and lets the local
 * worker host it. Executions pinned to an older release keep their pin. Without a worker
 * (`require-remote-worker`), the releases are registered and activated for remote workers.
 */
export async function hostLocalPipelines(
  coordinator: Coordinator,
  worker: LocalWorker | undefined,
  sources: readonly LocalPipelineSource[],
  options: {
    tenantId: string;
    nowMs: number;
    artifacts?: ArtifactStore | undefined;
    activate?: boolean;
  },
): Promise<HostedPipeline[]> {
  const { store } = coordinator;
  const hosted: HostedPipeline[] = [];
  for (const { pipeline, sourceFile, releaseVersion } of sources) {
    const built = await buildRelease(pipeline, { sourceFile, releaseVersion });
    const { descriptor, contract } = built;
    await options.artifacts?.put(built.artifact);
    const registered = await store.registerRelease({
      tenantId: options.tenantId,
      pipelineId: pipeline.id,
      releaseVersion: descriptor.releaseVersion,
      contractVersion: contract.contractVersion,
      descriptor,
      contract,
      primaryArtifactDigest: descriptor.artifacts[0]?.digest ?? '',
      createdAtMs: options.nowMs,
    });
    if (registered === 'conflict') {
      throw new Error(
        `release ${descriptor.releaseVersion} of ${pipeline.id} is already registered with other metadata`,
      );
    }
    const active = await store.getActiveRelease(options.tenantId, pipeline.id);
    let activated = false;
    if ((options.activate ?? true) && active?.releaseVersion !== descriptor.releaseVersion) {
      await store.activateRelease({
        tenantId: options.tenantId,
        pipelineId: pipeline.id,
        releaseVersion: descriptor.releaseVersion,
        activatedAtMs: options.nowMs,
        actor: 'capstan-local-host',
      });
      coordinator.catalog.invalidate(options.tenantId, pipeline.id);
      activated = true;
    }
    if (worker)
      await hostOnLocalWorker(
        coordinator,
        worker,
        {
          pipeline,
          contractVersion: contract.contractVersion,
          releaseVersion: descriptor.releaseVersion,
          artifactDigest: descriptor.artifacts[0]?.digest ?? null,
        },
        { ...options, register: true },
      );
    hosted.push({
      pipelineId: pipeline.id,
      contractVersion: contract.contractVersion,
      releaseVersion: descriptor.releaseVersion,
      activated,
    });
  }
  return hosted;
}

/** A release the local worker can run: its code and the identity executions are pinned to. */
export interface ReleaseToHost {
  readonly pipeline: Pipeline;
  readonly contractVersion: string;
  readonly releaseVersion: string;
  readonly artifactDigest?: string | null | undefined;
}

/**
 * Lets the local worker run a release, registered in the lifecycle like any worker (`register`;
 * the worker's row names one release per pipeline, so a release kept beside the current one is
 * hosted without re-registering), then wakes the executions parked for want of it.
 */
export async function hostOnLocalWorker(
  coordinator: Coordinator,
  worker: LocalWorker,
  release: ReleaseToHost,
  options: { tenantId: string; nowMs: number; register: boolean },
): Promise<void> {
  const { pipeline, contractVersion, releaseVersion } = release;
  worker.host({
    tenantId: options.tenantId,
    pipelineId: pipeline.id,
    contractVersion,
    releaseVersion,
    pipeline,
  });
  if (options.register)
    await coordinator.store.registerWorker(
      {
        tenantId: options.tenantId,
        pipelineId: pipeline.id,
        workerId: worker.workerId,
        protocol: 'local',
        endpoint: 'in-process',
        contractVersion,
        releaseVersion,
        artifactId: null,
        artifactDigest: release.artifactDigest ?? null,
      },
      // The coordinator's own worker: it registers itself in place of whatever held its id.
      { atMs: options.nowMs, keepEndpoint: false },
    );
  await coordinator.store.wakeParked({
    tenantId: options.tenantId,
    pipelineId: pipeline.id,
    releaseVersion,
    nowMs: options.nowMs,
  });
  // Route to the worker now: a pass running meanwhile may have read the events before REGISTER.
  await coordinator.syncWorkerAvailability({ tenantId: options.tenantId, pipelineId: pipeline.id });
}
