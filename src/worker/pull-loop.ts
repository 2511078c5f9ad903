import { leaseHeartbeatAnswerSchema, pollAnswerSchema } from '../api-schema/pull-workers.ts';
import type { Logger } from '../runtime/logger.ts';
import type { TimerHandle, Timers } from '../runtime/timers.ts';
import { executeTransition } from './execute-transition.ts';
import type { HostedReleases } from './hosted-releases.ts';
import { PullClient } from './pull-client.ts';
import type { WorkerTracing } from './worker-span.ts';

export interface PullLoopOptions {
  /** Any node of the coordinator: every call may go to another. */
  readonly url: string;
  readonly workerToken: string;
  readonly workerId: string;
  readonly hosted: HostedReleases;
  /** Segments run at once: the worker never asks for more than its free slots. */
  readonly slots: number;
  /** How long one poll waits for work when none is due (the coordinator caps it). */
  readonly waitMs?: number;
  readonly timers: Timers;
  readonly logger: Logger;
  readonly stepTimeoutMs?: number | undefined;
  readonly tracing?: WorkerTracing | undefined;
}

interface Running {
  readonly leaseEpoch: number;
  readonly abort: AbortController;
}

const RETRY_MS = [250, 1000, 2000, 5000];

/**
 * A pull worker's loop (docs/pull-workers.md): it asks its coordinator for as many segments as
 * it has free slots, and no more, long-polling while none is due; runs each with the same
 * executor as a REST or gRPC worker; heartbeats the leases it holds every third of the lease
 * duration; and reports each result with the lease epoch it was claimed under. A lease the
 * coordinator says is lost aborts its segment: its result would be refused anyway.
 */
export class PullLoop {
  readonly #o: PullLoopOptions;
  readonly #client: PullClient;
  readonly #base: string;
  readonly #running = new Map<string, Running>();
  /** Slots asked for by polls in flight: with the running ones, never more than `slots`. */
  #reserved = 0;
  readonly #polls = new Set<AbortController>();
  readonly #segments = new Set<Promise<void>>();
  #failures = 0;
  #retryTimer: TimerHandle | undefined;
  #heartbeatTimer: TimerHandle | undefined;
  #leaseMs = 30_000;
  #stopped = false;

  constructor(options: PullLoopOptions) {
    if (!Number.isInteger(options.slots) || options.slots < 1)
      throw new Error('a pull worker needs at least one slot');
    this.#o = options;
    this.#client = new PullClient({
      url: options.url,
      workerToken: options.workerToken,
      timers: options.timers,
    });
    const tenant = encodeURIComponent(options.hosted.tenantId);
    this.#base = `/tpf/admin/tenants/${tenant}/workers/${encodeURIComponent(options.workerId)}`;
  }

  /** Segments running now. */
  get running(): number {
    return this.#running.size;
  }

  start(): void {
    this.#fill();
  }

  /** Stops asking for work, then lets the running segments finish and report. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#retryTimer) this.#o.timers.clearTimeout(this.#retryTimer);
    // A poll hung up on mid-claim leaves its segments to the lease's expiry: they are taken back.
    for (const poll of this.#polls) poll.abort();
    while (this.#segments.size > 0) await Promise.all([...this.#segments]);
    if (this.#heartbeatTimer) this.#o.timers.clearTimeout(this.#heartbeatTimer);
  }

  /** Asks for every free slot, in a poll of its own. */
  #fill(): void {
    if (this.#stopped || this.#retryTimer) return;
    const free = this.#o.slots - this.#running.size - this.#reserved;
    if (free <= 0) return;
    this.#reserved += free;
    void this.#poll(free).finally(() => {
      this.#reserved -= free;
      this.#fill();
    });
  }

  async #poll(max: number): Promise<void> {
    const abort = new AbortController();
    this.#polls.add(abort);
    const waitMs = this.#o.waitMs ?? 30_000;
    try {
      const answer = await this.#client.post(
        `${this.#base}/segments/poll`,
        { max, waitMs },
        waitMs + 15_000,
        abort.signal,
      );
      const parsed = pollAnswerSchema.safeParse(answer.body);
      if (answer.status !== 200 || !parsed.success) {
        this.#backOff(`poll answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 300)}`);
        return;
      }
      this.#leaseMs = parsed.data.leaseDurationMs;
      // A node with too many polls waiting answers at once: asking again at once would spin.
      if (answer.capped && parsed.data.segments.length === 0) {
        this.#backOff('the coordinator has too many polls waiting');
        return;
      }
      this.#failures = 0;
      for (const segment of parsed.data.segments.slice(0, max))
        this.#start(segment.executionId, segment.leaseEpoch, segment.command);
    } catch (error) {
      if (!this.#stopped) this.#backOff(`poll failed: ${String(error)}`);
    } finally {
      this.#polls.delete(abort);
    }
  }

  /** The coordinator could not be asked (not registered yet, unreachable): ask again a little later. */
  #backOff(reason: string): void {
    if (this.#stopped || this.#retryTimer) return;
    const delay = RETRY_MS[Math.min(this.#failures, RETRY_MS.length - 1)] ?? 5000;
    this.#failures += 1;
    this.#o.logger.warn({ coordinator: this.#o.url, reason, retryInMs: delay }, 'pull poll failed; retrying');
    this.#retryTimer = this.#o.timers.setTimeout(() => {
      this.#retryTimer = undefined;
      this.#fill();
    }, delay);
  }

  #start(executionId: string, leaseEpoch: number, command: unknown): void {
    const abort = new AbortController();
    this.#running.set(executionId, { leaseEpoch, abort });
    this.#scheduleHeartbeat();
    const run = this.#run(executionId, leaseEpoch, command, abort)
      .catch((error: unknown) =>
        this.#o.logger.error({ err: error, executionId }, 'pulled segment failed; its lease will run out'),
      )
      .finally(() => {
        this.#running.delete(executionId);
        this.#segments.delete(run);
        this.#fill();
      });
    this.#segments.add(run);
  }

  async #run(
    executionId: string,
    leaseEpoch: number,
    command: unknown,
    abort: AbortController,
  ): Promise<void> {
    const o = this.#o;
    const answer = await executeTransition(command, o.hosted, abort.signal, {
      stepTimeoutMs: o.stepTimeoutMs,
      tracing: o.tracing,
    });
    if (answer.kind === 'abandoned') return;
    if (answer.kind === 'invalid') {
      o.logger.error(
        { executionId, reason: answer.message },
        'pulled command is unreadable; its lease will run out',
      );
      return;
    }
    o.logger.debug({ executionId, transitionKey: answer.transitionKey, workerId: o.workerId }, 'transition');
    await this.#complete(executionId, leaseEpoch, answer.envelope);
  }

  /** Reports the result; retried while the coordinator cannot be reached, dropped once it refuses. */
  async #complete(executionId: string, leaseEpoch: number, result: unknown): Promise<void> {
    const path = `${this.#base}/segments/${encodeURIComponent(executionId)}/complete`;
    for (let attempt = 0; ; attempt++) {
      try {
        const answer = await this.#client.post(path, { leaseEpoch, result }, 30_000);
        if (answer.status === 200) return;
        if (answer.status < 500) {
          this.#o.logger.warn(
            { executionId, leaseEpoch, status: answer.status, body: answer.body },
            'result refused (the lease was lost); it is not retried',
          );
          return;
        }
        if (attempt >= RETRY_MS.length) throw new Error(`completion answered ${answer.status}`);
      } catch (error) {
        if (attempt >= RETRY_MS.length) throw error;
      }
      await new Promise<void>((resolve) => this.#o.timers.setTimeout(resolve, RETRY_MS[attempt] ?? 5000));
    }
  }

  /** One heartbeat for every running lease, every third of the lease duration, while any runs. */
  #scheduleHeartbeat(): void {
    if (this.#heartbeatTimer) return;
    this.#heartbeatTimer = this.#o.timers.setTimeout(
      () => {
        void this.#heartbeat().finally(() => {
          this.#heartbeatTimer = undefined;
          if (this.#running.size > 0) this.#scheduleHeartbeat();
        });
      },
      Math.max(100, Math.floor(this.#leaseMs / 3)),
    );
  }

  async #heartbeat(): Promise<void> {
    const leases = [...this.#running].map(([executionId, r]) => ({ executionId, leaseEpoch: r.leaseEpoch }));
    if (leases.length === 0) return;
    try {
      const answer = await this.#client.post(
        `${this.#base}/leases/heartbeat`,
        { leases },
        Math.max(1000, Math.floor(this.#leaseMs / 3)),
      );
      const parsed = leaseHeartbeatAnswerSchema.safeParse(answer.body);
      if (answer.status !== 200 || !parsed.success) {
        this.#o.logger.warn({ status: answer.status }, 'lease heartbeat refused; trying again');
        return;
      }
      for (const lease of parsed.data.leases) {
        if (lease.held) continue;
        const running = this.#running.get(lease.executionId);
        if (running?.leaseEpoch !== lease.leaseEpoch) continue;
        this.#o.logger.warn({ executionId: lease.executionId }, 'lease lost; the segment is stopped');
        running.abort.abort();
      }
    } catch (error) {
      // A missed heartbeat costs nothing while the lease lasts; the next one tries again.
      this.#o.logger.warn({ err: String(error) }, 'lease heartbeat failed; trying again');
    }
  }
}
