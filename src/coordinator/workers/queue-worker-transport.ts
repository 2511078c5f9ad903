import type { SegmentQueueLink } from '../../brokers/segment-queue-link.ts';
import type { Clock } from '../../runtime/clock.ts';
import type { Logger } from '../../runtime/logger.ts';
import type { Random } from '../../runtime/random.ts';
import type { Timers } from '../../runtime/timers.ts';
import type { SegmentResult } from '../../segment/transition-worker.ts';
import type { KeyRing } from '../../worker-protocol/key-ring.ts';
import { refusalOf } from './worker-refusal.ts';
import {
  parseQueueMessage,
  queueReplyProblem,
  queueReplySchema,
  signQueueRequest,
  type QueueReply,
  type QueueRequest,
} from '../../worker-protocol/queue-messages.ts';
import {
  resultOfAnswer,
  resultOfNoAnswer,
  type NoAnswer,
  type WorkerTransport,
} from './remote-transition-worker.ts';

export interface QueueWorkerTransportOptions {
  readonly link: SegmentQueueLink;
  /** This coordinator node's id: the address its replies come to. */
  readonly nodeId: string;
  readonly keys: KeyRing;
  /** How long a signed reply's timestamp may be off. */
  readonly toleranceMs: number;
  /** How long a request waits for its reply before its outcome is unknown. */
  readonly requestTimeoutMs: number;
  readonly clock: Clock;
  readonly random: Random;
  readonly timers: Timers;
  readonly logger: Logger;
}

interface Pending {
  readonly request: QueueRequest;
  readonly workerGroup: string;
  /** For the log line that says which node got which execution's reply. */
  readonly executionId: string | undefined;
  readonly settle: (reply: QueueReply) => void;
}

function executionIdOf(command: string): string | undefined {
  try {
    const id = (JSON.parse(command) as { executionId?: unknown }).executionId;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The queue worker protocol, the coordinator's side (docs/queue-workers.md). A segment is a
 * signed request published on the request queue its worker registered as endpoint (its
 * group), carrying a fresh correlation id and this node's id as the reply address; the node
 * consumes only the replies addressed to it on the shared reply destination and hands each to
 * the call waiting on its correlation id. What comes of the call, in the remote outcome
 * vocabulary every transport speaks:
 *
 * - the broker refused or could not take the request: UNREACHABLE (nothing ran);
 * - no reply within the request timeout: OUTCOME_UNKNOWN (a worker may have run it; the
 *   request carries the same deadline, so a worker that takes it later drops it unrun);
 * - a signed reply: the result, a refusal (400: REFUSED) or an abandoned segment (503:
 *   OUTCOME_UNKNOWN).
 *
 * A reply nobody waits for (late, after a timeout or a restart of this node, or for a
 * correlation id this node never issued) and one whose signature does not hold are logged
 * and acknowledged: they never reach a segment and never stop the consumer.
 */
export class QueueWorkerTransport implements WorkerTransport {
  readonly protocol = 'queue' as const;
  readonly #o: QueueWorkerTransportOptions;
  readonly #pending = new Map<string, Pending>();

  constructor(options: QueueWorkerTransportOptions) {
    this.#o = options;
  }

  /** Starts consuming this node's replies: before the first dispatch. */
  async start(): Promise<void> {
    await this.#o.link.consumeReplies(this.#o.nodeId, (body) => Promise.resolve(this.#onReply(body)));
  }

  async stop(): Promise<void> {
    await this.#o.link.close();
  }

  /** Calls waiting for their reply (tests, metrics). */
  get waiting(): number {
    return this.#pending.size;
  }

  async execute(
    workerGroup: string,
    command: string,
    workerId: string,
    signal: AbortSignal,
    traceparent?: string,
  ): Promise<SegmentResult> {
    const o = this.#o;
    if (signal.aborted) return resultOfNoAnswer({ kind: 'aborted' }, workerId);
    const request = signQueueRequest(o.keys, o, {
      correlationId: o.random.uuid(),
      replyTo: o.nodeId,
      deadlineAtMs: o.clock.now() + o.requestTimeoutMs,
      command,
      ...(traceparent === undefined ? {} : { traceparent }),
    });
    const { correlationId } = request;
    let settle!: (outcome: QueueReply | NoAnswer) => void;
    const outcome = new Promise<QueueReply | NoAnswer>((resolve) => (settle = resolve));
    this.#pending.set(correlationId, { request, workerGroup, executionId: executionIdOf(command), settle });
    const timer = o.timers.setTimeout(
      () =>
        settle({
          kind: 'unknown',
          reason: `no reply on queue '${workerGroup}' within ${o.requestTimeoutMs} ms`,
        }),
      o.requestTimeoutMs,
    );
    const onAbort = () => settle({ kind: 'aborted' });
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      try {
        await o.link.publishRequest(workerGroup, Buffer.from(JSON.stringify(request)), correlationId);
      } catch (error) {
        settle({ kind: 'not-sent', reason: `${o.link.broker} did not take the request: ${String(error)}` });
      }
      const answer = await outcome;
      if ('kind' in answer) return resultOfNoAnswer(answer, workerId);
      return this.#resultOf(answer, workerId);
    } finally {
      this.#pending.delete(correlationId);
      o.timers.clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** Queue workers answer nothing but segments: they are known from their registrations only. */
  capabilities(): Promise<{ kind: 'failed'; reason: string }> {
    return Promise.resolve({
      kind: 'failed',
      reason: 'queue workers are not probed; they register themselves',
    });
  }

  #resultOf(reply: QueueReply, workerId: string): SegmentResult {
    const by = `worker ${reply.workerId} (as ${workerId})`;
    if (reply.status === 200) return resultOfAnswer(reply.body, workerId);
    const reason = refusalOf(reply.status, reply.body);
    if (reply.status === 400) return { outcome: 'REFUSED', reason: `${by} rejected the command: ${reason}` };
    // 503: the worker abandoned the segment mid-way (it was stopping); some steps may have run.
    return { outcome: 'OUTCOME_UNKNOWN', reason: `${by} failed: ${reason}` };
  }

  #onReply(body: Uint8Array): 'ack' {
    const o = this.#o;
    const reply = parseQueueMessage(queueReplySchema, body);
    if (!reply) {
      o.logger.warn({ nodeId: o.nodeId }, 'queue worker reply is not a reply envelope; dropped');
      return 'ack';
    }
    const pending = this.#pending.get(reply.correlationId);
    if (!pending) {
      // Late (its call timed out or was abandoned), or from before this node restarted.
      o.logger.info(
        { correlationId: reply.correlationId, workerId: reply.workerId, nodeId: o.nodeId },
        'queue worker reply for no waiting call; dropped',
      );
      return 'ack';
    }
    const problem = queueReplyProblem(o.keys, o.clock, o.toleranceMs, pending.request, reply);
    if (problem) {
      // Not the worker's answer: the call keeps waiting for one (or for its timeout).
      o.logger.warn(
        { correlationId: reply.correlationId, workerId: reply.workerId, problem },
        'queue worker reply refused',
      );
      return 'ack';
    }
    o.logger.debug(
      {
        correlationId: reply.correlationId,
        executionId: pending.executionId,
        workerId: reply.workerId,
        nodeId: o.nodeId,
        queue: pending.workerGroup,
      },
      'queue worker reply received',
    );
    pending.settle(reply);
    return 'ack';
  }
}
