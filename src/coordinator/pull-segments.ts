import { CapstanError } from '../errors/catalog.ts';
import type { Route } from '../domain/parking.ts';
import type { ReleaseCatalog } from '../releases/release-catalog.ts';
import type { Clock } from '../runtime/clock.ts';
import type { ExecutionStatus } from '../domain/execution-status.ts';
import type { ClaimedSegment, Fence, Store } from '../store/store-port.ts';
import { encodeCommand } from '../worker-protocol/command-codec.ts';
import { resultEnvelopeSchema, type CommandEnvelope } from '../worker-protocol/envelopes.ts';
import { decodeResult } from '../worker-protocol/result-codec.ts';
import type { EngineConfig } from './engine-config.ts';
import type { PullWakeups, WakeCause } from './pull-wakeups.ts';
import type { SegmentCommitter } from './segment-committer.ts';
import { segmentCommandOf } from './segment-command.ts';
import { PullWorker } from './workers/pull-worker.ts';
import { priorOutputsOf } from './workers/remote-transition-worker.ts';
import { resultThatFits } from './workers/remote-result-check.ts';
import type { WorkerLifecycle, WorkerRecord } from './workers/worker-lifecycle.ts';

/** One segment handed to a pull worker: its command as every transport carries it, and its lease. */
export interface PulledSegment {
  readonly executionId: string;
  readonly leaseEpoch: number;
  readonly leaseExpiresAtMs: number;
  readonly command: CommandEnvelope;
}

/** A lease a pull worker holds, after its heartbeat: still held (and until when), or lost. */
export interface LeaseState {
  readonly executionId: string;
  readonly leaseEpoch: number;
  readonly held: boolean;
  readonly leaseExpiresAtMs: number | null;
}

/** How one poll ended, for the metrics: with work or without, and what woke its last wait. */
export type PollAnswer = { readonly segments: number; readonly wokenBy: WakeCause | 'none' };

export interface PullSegmentsDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly config: Pick<EngineConfig, 'leaseMs'>;
  readonly lifecycle: WorkerLifecycle;
  readonly catalog: ReleaseCatalog;
  readonly committer: SegmentCommitter;
  readonly wakeups: PullWakeups;
  /** The execution's end was committed here: wake result long-polls of this node. */
  readonly onCommitted: (executionId: string) => void;
  /**
   * A claim parked executions of routes the worker does not run: this node's dispatcher (or
   * another poll) may run them, and is told, as a peer hears it from the store's NOTIFY.
   */
  readonly onParked?: () => void;
  /** How each poll ended. */
  readonly onPollAnswered?: (answer: PollAnswer) => void;
}

/** The lease owner a pull worker's claims are recorded under, so its calls can be checked against it. */
export const pullLeaseOwner = (workerId: string): string => `pull:${workerId}`;

/**
 * The coordinator's side of pull workers (docs/pull-workers.md): a worker asks for at most as
 * many segments as it can run, of the releases it is registered for, and waits for them; it
 * keeps their leases by heartbeat and reports each result with the lease epoch it was claimed
 * under. Everything is in the store, so any node serves any call: a worker may poll one node
 * and complete on another. A waiting poll is woken by a push (another node's NOTIFY, or this
 * node's own submit or completion), never by polling the store.
 */
export class PullSegments {
  readonly #d: PullSegmentsDeps;

  constructor(deps: PullSegmentsDeps) {
    this.#d = deps;
  }

  /**
   * Claims up to `max` due segments of the worker's routes, waiting up to `waitMs` for some
   * when none is due. Answers with what it claimed (possibly nothing, when the wait ran out).
   */
  async poll(
    tenantId: string,
    workerId: string,
    request: { max: number; waitMs: number; signal?: AbortSignal },
  ): Promise<PulledSegment[]> {
    const { clock } = this.#d;
    const deadline = clock.now() + request.waitMs;
    let wokenBy: WakeCause | 'none' = 'none';
    for (;;) {
      // Listen before claiming: work that falls due while the claim runs still wakes this poll.
      const listening = this.#d.wakeups.listen(deadline - clock.now());
      const stop = listening.stop;
      request.signal?.addEventListener('abort', stop, { once: true });
      try {
        // A worker that hung up would never hear of what this poll claims: claim nothing for it.
        if (request.signal?.aborted) return [];
        const routes = await this.#routesOf(tenantId, workerId);
        const claimed = await this.#claim(workerId, routes, request.max);
        const remaining = deadline - clock.now();
        if (claimed.length > 0 || remaining <= 0 || request.signal?.aborted) {
          this.#d.onPollAnswered?.({ segments: claimed.length, wokenBy });
          return claimed;
        }
        wokenBy = await listening.woken;
        if (wokenBy === 'stopped') {
          this.#d.onPollAnswered?.({ segments: 0, wokenBy });
          return [];
        }
      } finally {
        stop();
        request.signal?.removeEventListener('abort', stop);
      }
    }
  }

  /**
   * Commits a segment's result under the lease epoch it was claimed with. A lease the worker
   * no longer holds (it ran out and was taken back, the execution was cancelled, or it was
   * already completed) is 409 `lease_epoch_stale` and nothing is written.
   */
  async complete(
    tenantId: string,
    workerId: string,
    report: { executionId: string; leaseEpoch: number; result: unknown },
  ): Promise<{ status: ExecutionStatus }> {
    const parsed = resultEnvelopeSchema.safeParse(report.result);
    if (!parsed.success)
      throw new CapstanError(
        'invalid_request',
        `not a transition result: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`.slice(
          0,
          1000,
        ),
      );
    const x = await this.#heldExecution(tenantId, workerId, report);
    // The command the worker was given is the claim's, which the lease epoch still names.
    const command = await segmentCommandOf(this.#d.store, { execution: x, input: undefined });
    const validators = await this.#d.catalog.validatorsFor(x.tenantId, x.pipelineId, x.releaseVersion);
    const result = resultThatFits(decodeResult(parsed.data), command, validators, workerId);
    const fence = { executionId: x.executionId, leaseEpoch: x.leaseEpoch };
    const written = await this.#d.committer.commit(x, fence, result, new PullWorker(workerId));
    if (!written) throw staleLease(report);
    this.#d.onCommitted(x.executionId);
    const now = await this.#d.store.getExecution(tenantId, x.executionId);
    return { status: now?.status ?? x.status };
  }

  /** Extends the leases the worker still holds by the lease duration; says which it has lost. */
  async heartbeat(tenantId: string, workerId: string, leases: readonly Fence[]): Promise<LeaseState[]> {
    const { store, clock, config } = this.#d;
    const untilMs = clock.now() + config.leaseMs;
    const states: LeaseState[] = [];
    const held: Fence[] = [];
    for (const lease of leases) {
      const x = await store.getExecution(tenantId, lease.executionId);
      const holds = x !== undefined && holdsLease(x, workerId, lease.leaseEpoch);
      if (holds) held.push(lease);
      states.push({ ...lease, held: holds, leaseExpiresAtMs: holds ? untilMs : null });
    }
    if (held.length > 0) await store.renewLeases(held, untilMs);
    // A lease lost between the read and the renewal is found out by the next heartbeat, or by
    // the completion it can no longer make.
    return states;
  }

  /**
   * The routes the worker may claim in this tenant: each pipeline it is registered for as a
   * pull worker, at the release it registered, while it is HEALTHY; while it is DRAINING, only
   * when no HEALTHY worker hosts that release (it finishes the executions pinned to it, as a
   * drained pushed worker does); a stale worker gets nothing. 404 when it is registered as a
   * pull worker nowhere in the tenant.
   */
  async #routesOf(tenantId: string, workerId: string): Promise<Route[]> {
    const pipelines = (await this.#d.store.listWorkerPipelines()).filter((p) => p.tenantId === tenantId);
    const all = (
      await Promise.all(pipelines.map((p) => this.#d.lifecycle.list(tenantId, p.pipelineId)))
    ).flat();
    const records = all.filter((w) => w.workerId === workerId && w.protocol === 'pull');
    if (records.length === 0)
      throw new CapstanError(
        'worker_not_found',
        `No pull worker '${workerId}' is registered in tenant '${tenantId}'.`,
      );
    const healthyElsewhere = (w: WorkerRecord) =>
      all.some(
        (other) =>
          other.state === 'HEALTHY' &&
          other.pipelineId === w.pipelineId &&
          other.releaseVersion === w.releaseVersion,
      );
    return records
      .filter((w) => w.state === 'HEALTHY' || (w.state === 'DRAINING' && !healthyElsewhere(w)))
      .map((w) => ({ tenantId, pipelineId: w.pipelineId, releaseVersion: w.releaseVersion }));
  }

  async #claim(workerId: string, routes: readonly Route[], max: number): Promise<PulledSegment[]> {
    const { store, clock, config } = this.#d;
    if (routes.length === 0) return [];
    const claimed = await store.claimDue({
      nowMs: clock.now(),
      limit: max,
      owner: pullLeaseOwner(workerId),
      leaseMs: config.leaseMs,
      routes,
    });
    if (claimed.parked > 0) this.#d.onParked?.();
    return Promise.all(claimed.segments.map((segment) => this.#pulled(segment)));
  }

  async #pulled(segment: ClaimedSegment): Promise<PulledSegment> {
    const x = segment.execution;
    const { store } = this.#d;
    const command = await segmentCommandOf(store, segment);
    // The worker cannot read the store: the outputs `ctx.outputOf` may ask for travel along.
    const prior = await priorOutputsOf(command, {
      outputsBefore: (below) => store.getStepOutputs(x.executionId, below),
    });
    return {
      executionId: x.executionId,
      leaseEpoch: x.leaseEpoch,
      leaseExpiresAtMs: x.leaseExpiresAtMs ?? 0,
      command: encodeCommand(command, prior),
    };
  }

  /** The execution, while this worker holds its lease at this epoch; 404 or 409 otherwise. */
  async #heldExecution(
    tenantId: string,
    workerId: string,
    lease: { executionId: string; leaseEpoch: number },
  ) {
    const x = await this.#d.store.getExecution(tenantId, lease.executionId);
    if (!x) throw new CapstanError('execution_not_found');
    if (!holdsLease(x, workerId, lease.leaseEpoch)) throw staleLease(lease, x.status, x.leaseEpoch);
    return x;
  }
}

function holdsLease(
  x: { status: ExecutionStatus; leaseEpoch: number; leaseOwner: string | null },
  workerId: string,
  leaseEpoch: number,
): boolean {
  return x.status === 'RUNNING' && x.leaseEpoch === leaseEpoch && x.leaseOwner === pullLeaseOwner(workerId);
}

function staleLease(
  lease: { executionId: string; leaseEpoch: number },
  status?: ExecutionStatus,
  currentEpoch?: number,
): CapstanError {
  return new CapstanError(
    'lease_epoch_stale',
    `The lease of execution ${lease.executionId} at epoch ${lease.leaseEpoch} is not held by this worker; nothing was written.`,
    {
      executionId: lease.executionId,
      leaseEpoch: lease.leaseEpoch,
      ...(status === undefined ? {} : { status }),
      ...(currentEpoch === undefined ? {} : { currentLeaseEpoch: currentEpoch }),
    },
  );
}
