import type {
  HostedRelease,
  SegmentCommand,
  SegmentResult,
  TransitionWorker,
} from '../../segment/transition-worker.ts';

const releaseKey = (r: { tenantId: string; pipelineId: string }) => `${r.tenantId}\u0000${r.pipelineId}`;

/**
 * A worker that asks for its segments (docs/pull-workers.md) instead of being sent them. It is
 * in the routing table so that submit admission and the status of an execution know its
 * releases have a worker, but dispatch never picks it and the dispatcher never claims for it:
 * its segments are claimed by its own polls, through the pull API, on whichever node it asks.
 */
export class PullWorker implements TransitionWorker {
  readonly workerId: string;
  readonly protocol = 'pull';
  readonly #releases = new Map<string, HostedRelease>();

  constructor(workerId: string) {
    this.workerId = workerId;
  }

  /** Records the release the worker registered for a pipeline. */
  host(release: HostedRelease): void {
    this.#releases.set(releaseKey(release), release);
  }

  hostedReleases(): readonly HostedRelease[] {
    return [...this.#releases.values()];
  }

  /** Never called by dispatch (the routing table leaves pull workers out); refused if it were. */
  execute(command: SegmentCommand): Promise<SegmentResult> {
    return Promise.resolve({
      outcome: 'REFUSED',
      reason: `worker ${this.workerId} pulls its segments; ${command.executionId} is not pushed to it`,
    });
  }
}
