import { encodeCommand } from '../../worker-protocol/command-codec.ts';
import { resultEnvelopeSchema } from '../../worker-protocol/envelopes.ts';
import type { ContractValidators } from '../../releases/release-catalog.ts';
import { decodeResult } from '../../worker-protocol/result-codec.ts';
import { resultThatFits } from './remote-result-check.ts';
import type {
  HostedRelease,
  SegmentCommand,
  SegmentHooks,
  SegmentResult,
  StepOutput,
  TransitionWorker,
} from '../../segment/transition-worker.ts';

export type RemoteProtocol = 'rest' | 'grpc' | 'queue';

/** The compiled contract of a command's pinned release, which remote results are checked against. */
export type ContractLookup = (command: SegmentCommand) => Promise<ContractValidators | undefined>;

/** A worker's signed capabilities as JSON text, or why there are none. */
export type CapabilitiesAnswer =
  | { readonly kind: 'answered'; readonly body: string }
  | { readonly kind: 'failed'; readonly reason: string }
  | { readonly kind: 'aborted' };

/**
 * How the coordinator reaches the workers of one protocol: it carries a command envelope to a
 * worker and says what came of it for the segment (a result, or UNREACHABLE, REFUSED,
 * OUTCOME_UNKNOWN by what is known of the remote side), and asks a worker for its capabilities.
 */
export interface WorkerTransport {
  readonly protocol: RemoteProtocol;
  /** `traceparent` continues the segment's trace on the worker; absent when tracing is off. */
  execute(
    endpoint: string,
    command: string,
    workerId: string,
    signal: AbortSignal,
    traceparent?: string,
  ): Promise<SegmentResult>;
  capabilities(endpoint: string, signal: AbortSignal): Promise<CapabilitiesAnswer>;
}

/** How a call to a worker can end without an answer, over any transport. */
export type NoAnswer =
  | { readonly kind: 'not-sent'; readonly reason: string }
  | { readonly kind: 'unknown'; readonly reason: string }
  | { readonly kind: 'aborted' };

/** What a call that got no answer means for the segment: never sent, maybe run, or given up. */
export function resultOfNoAnswer(outcome: NoAnswer, workerId: string): SegmentResult {
  switch (outcome.kind) {
    case 'aborted':
      return { outcome: 'ABANDONED' };
    case 'not-sent':
      return { outcome: 'UNREACHABLE', reason: `worker ${workerId} unreachable: ${outcome.reason}` };
    case 'unknown':
      return { outcome: 'OUTCOME_UNKNOWN', reason: `worker ${workerId}: ${outcome.reason}` };
  }
}

/** A signed answer's result envelope; an answer that is none is an unknown outcome (it may have run). */
export function resultOfAnswer(body: string, workerId: string): SegmentResult {
  try {
    const parsed = resultEnvelopeSchema.safeParse(JSON.parse(body));
    if (parsed.success) return decodeResult(parsed.data);
    return { outcome: 'OUTCOME_UNKNOWN', reason: `worker ${workerId} sent a malformed result` };
  } catch (error) {
    return {
      outcome: 'OUTCOME_UNKNOWN',
      reason: `worker ${workerId} sent an unreadable result: ${String(error)}`,
    };
  }
}

const releaseKey = (r: { tenantId: string; pipelineId: string }) => `${r.tenantId}\u0000${r.pipelineId}`;

/**
 * A transition worker in another process, reached over a remote protocol (REST or gRPC). What
 * it hosts comes from its lifecycle registrations: per tenant and pipeline, one release at the
 * endpoint it gave. Each segment is one signed call carrying a command envelope, answered by a
 * signed result envelope.
 */
export class RemoteTransitionWorker implements TransitionWorker {
  readonly workerId: string;
  readonly #transport: WorkerTransport;
  readonly #contractOf: ContractLookup;
  readonly #releases = new Map<string, { release: HostedRelease; endpoint: string }>();

  constructor(workerId: string, transport: WorkerTransport, contractOf: ContractLookup) {
    this.workerId = workerId;
    this.#transport = transport;
    this.#contractOf = contractOf;
  }

  get protocol(): RemoteProtocol {
    return this.#transport.protocol;
  }

  /** Records the release the worker registered for a pipeline, and where to reach it. */
  host(release: HostedRelease, endpoint: string): void {
    this.#releases.set(releaseKey(release), { release, endpoint });
  }

  hostedReleases(): readonly HostedRelease[] {
    return [...this.#releases.values()].map((r) => r.release);
  }

  async execute(command: SegmentCommand, hooks: SegmentHooks): Promise<SegmentResult> {
    const hosted = this.#releases.get(releaseKey(command));
    if (!hosted)
      return {
        outcome: 'REFUSED',
        reason: `worker ${this.workerId} is not registered for ${command.pipelineId}`,
      };
    // The worker cannot read the store: the outputs `ctx.outputOf` may ask for travel along.
    const priorOutputs = await priorOutputsOf(command, hooks);
    const envelope = JSON.stringify(encodeCommand(command, priorOutputs));
    const result = await this.#transport.execute(
      hosted.endpoint,
      envelope,
      this.workerId,
      hooks.signal,
      hooks.trace?.traceparent,
    );
    // Signed means sent by a key holder, not fit to commit: nothing of an answer that does not
    // fit the segment is committed; it is a failed try like any other.
    return resultThatFits(result, command, await this.#contractOf(command), this.workerId);
  }
}

/**
 * The outputs of the steps before the command's, in step order. The last of them is the
 * command's input (the claim read it: a step's input is the previous step's checkpoint), so
 * only the ones before it are read, together.
 */
export async function priorOutputsOf(
  command: SegmentCommand,
  hooks: Pick<SegmentHooks, 'outputsBefore'>,
): Promise<StepOutput[]> {
  const previous = command.currentStepIndex - 1;
  if (previous < 0) return [];
  const earlier = previous > 0 ? await hooks.outputsBefore(previous) : [];
  return [...earlier, { stepIndex: previous, output: command.input }];
}
