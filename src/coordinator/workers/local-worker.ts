import type { Pipeline } from '../../sdk/define-pipeline.ts';
import { runSegment } from '../../segment/segment-runner.ts';
import type {
  HostedRelease,
  SegmentCommand,
  SegmentHooks,
  SegmentResult,
  TransitionWorker,
} from '../../segment/transition-worker.ts';

export interface LocalRelease extends HostedRelease {
  readonly pipeline: Pipeline;
}

/**
 * The in-process transition worker. It checks the pinned identity before touching the input,
 * then runs the segment, checkpointing each step's output through the coordinator before
 * starting the next.
 */
export class LocalWorker implements TransitionWorker {
  readonly workerId: string;
  readonly protocol = 'local' as const;
  readonly #releases = new Map<string, LocalRelease>();

  constructor(workerId: string, releases: readonly LocalRelease[] = []) {
    this.workerId = workerId;
    for (const release of releases) this.host(release);
  }

  host(release: LocalRelease): void {
    this.#releases.set(`${release.tenantId}\u0000${release.releaseVersion}`, release);
  }

  hostedReleases(): readonly HostedRelease[] {
    return [...this.#releases.values()];
  }

  async execute(command: SegmentCommand, hooks: SegmentHooks): Promise<SegmentResult> {
    const release = this.#releases.get(`${command.tenantId}\u0000${command.releaseVersion}`);
    if (
      !release ||
      release.pipelineId !== command.pipelineId ||
      release.contractVersion !== command.contractVersion
    ) {
      return {
        outcome: 'REFUSED',
        reason: `worker ${this.workerId} does not host ${command.pipelineId}@${command.releaseVersion}`,
      };
    }
    return runSegment(release.pipeline, command, hooks);
  }
}
