import type { TimerHandle } from '../runtime/timers.ts';
import type { ClaimedSegment, Fence } from '../store/store-port.ts';
import type {
  SegmentCommand,
  SegmentResult,
  SegmentTrace,
  TransitionWorker,
} from '../segment/transition-worker.ts';
import type { ExecutionWatch } from './execution-watch.ts';
import { FailureCode } from '../domain/failure-codes.ts';
import type { LifecycleLog } from './lifecycle-log.ts';
import type { CoordinatorDeps } from './coordinator-deps.ts';
import { NO_TRACING } from '../tracing/tracing.ts';
import { startSegmentSpan } from './engine-spans.ts';
import type { PinnedSteps } from './pinned-steps.ts';
import { attemptAt, type SegmentCommitter } from './segment-committer.ts';
import { segmentCommandOf } from './segment-command.ts';

interface InFlight {
  readonly tenantId: string;
  readonly fence: Fence;
  readonly abort: AbortController;
  readonly done: Promise<void>;
}

/** The coordinator's own deps the dispatcher runs on, plus what the coordinator builds for it. */
export interface DispatcherDeps extends Pick<
  CoordinatorDeps,
  'store' | 'clock' | 'timers' | 'logger' | 'config' | 'workers' | 'tracing'
> {
  readonly watch: ExecutionWatch;
  /** Where the lifecycle lines of the steps it checkpoints go. */
  readonly lifecycle: LifecycleLog;
  /** Commits how each segment ended. */
  readonly committer: SegmentCommitter;
  /** The pinned release's steps: where an expansion without an aggregate ends (docs/items.md). */
  readonly pinnedSteps?: PinnedSteps;
  /** A claim parked executions none of its routes covers: another claimant here may take them. */
  readonly onParked?: () => void;
}

/**
 * Moves due executions through workers: claims them in batches (as many as there are free
 * slots), runs each segment, and commits its outcome under the lease's fencing epoch. A
 * wake-up (submit, completion, a segment finishing, a due timer) starts a pump; there is no
 * polling while nothing is due. Leases of running segments are renewed together.
 */
export class Dispatcher {
  readonly #d: DispatcherDeps;
  readonly #committer: SegmentCommitter;
  readonly #inFlight = new Map<string, InFlight>();
  #pumping: Promise<void> | undefined;
  #again = false;
  #stopped = false;
  #renewTimer: TimerHandle | undefined;

  constructor(deps: DispatcherDeps) {
    this.#d = deps;
    this.#committer = deps.committer;
  }

  get inFlightCount(): number {
    return this.#inFlight.size;
  }

  isRunning(executionId: string): boolean {
    return this.#inFlight.has(executionId);
  }

  /** Asks for a pump; concurrent requests fold into one more round. */
  wake(): void {
    if (this.#stopped) return;
    void this.pump().catch((error: unknown) => this.#d.logger.error({ err: error }, 'dispatch pump failed'));
  }

  /**
   * Claims and starts due work until no slot is free or nothing more is due. A caller that
   * arrives while a pump runs gets that pump's promise, which takes one more round for it:
   * either way the promise settles only after the claims made for the caller.
   */
  pump(): Promise<void> {
    if (this.#pumping) {
      this.#again = true;
      return this.#pumping;
    }
    const pumping = this.#pumpRounds();
    this.#pumping = pumping;
    return pumping;
  }

  async #pumpRounds(): Promise<void> {
    // Yield first, so `pump()` has recorded this promise before the `finally` below can clear it.
    await Promise.resolve();
    try {
      do {
        this.#again = false;
        const free = this.#d.config.maxInFlight - this.#inFlight.size;
        if (free <= 0 || this.#stopped) break;
        const claimed = await this.#d.store.claimDue({
          nowMs: this.#d.clock.now(),
          limit: free,
          owner: this.#d.config.nodeId,
          leaseMs: this.#d.config.leaseMs,
          routes: this.#d.workers.routes(),
        });
        for (const segment of claimed.segments) this.#start(segment);
        if (claimed.parked > 0) this.#d.onParked?.();
        // Slots left, or executions parked ahead of what may be due behind them: look again.
        if (claimed.segments.length === free || claimed.parked > 0) this.#again = true;
      } while (this.#again);
    } finally {
      this.#pumping = undefined;
    }
  }

  /** Resolves when no segment is running (segments started meanwhile included). */
  async drain(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight.values()].map((f) => f.done));
  }

  /** Aborts a running segment of this execution (after cancel): its commits are already fenced out. */
  abort(executionId: string): void {
    this.#inFlight.get(executionId)?.abort.abort();
  }

  /**
   * Another node changed these executions: any of them running here whose lease it took away
   * (a cancel, a reclaim) is aborted, so its step hears its signal and its slot is free again.
   * A remote step's call is aborted the same way; its result would be fenced out anyway.
   */
  async abortIfFenced(executionIds: readonly string[]): Promise<void> {
    for (const id of executionIds) {
      const running = this.#inFlight.get(id);
      if (!running || running.abort.signal.aborted) continue;
      const now = await this.#d.store.getExecution(running.tenantId, id);
      const held =
        now?.status === 'RUNNING' &&
        now.leaseEpoch === running.fence.leaseEpoch &&
        now.leaseOwner === this.#d.config.nodeId;
      // The entry may have been replaced while the store answered: abort only the one read for.
      if (!held && this.#inFlight.get(id) === running) running.abort.abort();
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#renewTimer) this.#d.timers.clearTimeout(this.#renewTimer);
    this.#renewTimer = undefined;
    await this.drain();
  }

  #start(segment: ClaimedSegment): void {
    const x = segment.execution;
    const fence = { executionId: x.executionId, leaseEpoch: x.leaseEpoch };
    const abort = new AbortController();
    // The watch hears only of the segment's end: a claim or a checkpoint leaves the execution
    // RUNNING, which no waiter waits for, and waking one would cost it a read for nothing.
    const done = this.#run(segment, fence, abort)
      .catch((error: unknown) =>
        this.#d.logger.error(
          { err: error, executionId: x.executionId },
          'segment commit failed; the lease will expire',
        ),
      )
      .finally(() => {
        this.#inFlight.delete(x.executionId);
        this.#d.watch.changed(x.executionId);
        this.wake();
      });
    this.#inFlight.set(x.executionId, { tenantId: x.tenantId, fence, abort, done });
    this.#scheduleRenewal();
  }

  async #run(segment: ClaimedSegment, fence: Fence, abort: AbortController): Promise<void> {
    const x = segment.execution;
    const command = await segmentCommandOf(this.#d.store, segment);
    const worker = this.#d.workers.pick(x);
    const span = startSegmentSpan(this.#d.tracing ?? NO_TRACING, x, command.attempt, worker);
    let result: SegmentResult = { outcome: 'ABANDONED' };
    try {
      // An expansion with no aggregate after it ends the pipeline with its items' outcomes,
      // which the claim gave as this segment's input: no step runs.
      const steps = x.itemsTotal === null ? undefined : await this.#d.pinnedSteps?.of(x);
      result =
        steps !== undefined && x.stepIndex >= steps.length
          ? { outcome: 'COMPLETED', stepIndex: x.stepIndex, output: segment.input }
          : await this.#execute(segment, command, fence, abort, worker, span.trace);
      await this.#committer.commit(x, fence, result, worker);
    } finally {
      span.end(result);
    }
  }

  /** Runs the segment on `worker`; a worker that throws has failed the try. */
  async #execute(
    segment: ClaimedSegment,
    command: SegmentCommand,
    fence: Fence,
    abort: AbortController,
    worker: TransitionWorker | undefined,
    trace: SegmentTrace,
  ): Promise<SegmentResult> {
    const x = segment.execution;
    const { store, clock } = this.#d;
    let result: SegmentResult;
    if (!worker) {
      result = { outcome: 'REFUSED', reason: `no worker hosts release ${x.releaseVersion}` };
    } else {
      try {
        result = await worker.execute(command, {
          signal: abort.signal,
          timers: this.#d.timers,
          stepTimeoutMs: this.#d.config.stepTimeoutMs,
          checkpoint: async (stepIndex, output) => {
            const won = await store.checkpointStep({ ...fence, stepIndex, output, nowMs: clock.now() });
            if (!won) abort.abort();
            else await this.#d.lifecycle.stepSucceeded(x, stepIndex, attemptAt(x, stepIndex));
            return won;
          },
          outputOf: async (stepIndex) => (await store.getStepOutput(x.executionId, stepIndex))?.output,
          outputsBefore: (belowStepIndex) => store.getStepOutputs(x.executionId, belowStepIndex),
          trace,
        });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        result = {
          outcome: 'FAILED',
          stepIndex: x.stepIndex,
          failure: {
            failureClass: 'TransportError',
            code: FailureCode.WORKER_ERROR,
            message,
            nonRetryable: false,
            skipDlq: false,
          },
        };
      }
    }
    return result;
  }

  #scheduleRenewal(): void {
    if (this.#renewTimer || this.#stopped) return;
    this.#renewTimer = this.#d.timers.setTimeout(
      () => {
        this.#renewTimer = undefined;
        if (this.#inFlight.size === 0) return;
        // An aborted segment (cancelled, lease lost) is on its way out: its lease is not kept.
        const fences = [...this.#inFlight.values()]
          .filter((f) => !f.abort.signal.aborted)
          .map((f) => f.fence);
        this.#d.store
          .renewLeases(fences, this.#d.clock.now() + this.#d.config.leaseMs)
          .catch((error: unknown) => this.#d.logger.error({ err: error }, 'lease renewal failed'))
          .finally(() => this.#scheduleRenewal());
      },
      Math.max(1, Math.floor(this.#d.config.leaseMs / 3)),
    );
  }
}
