import { EXECUTE_PATH, resultEnvelopeSchema } from '../worker-protocol/envelopes.ts';
import { encodeCommand } from '../worker-protocol/command-codec.ts';
import { decodeResult } from '../worker-protocol/result-codec.ts';
import type { RestCallOutcome, SignedRestClient } from './signed-rest-client.ts';
import type {
  HostedRelease,
  SegmentCommand,
  SegmentHooks,
  SegmentResult,
  StepOutput,
  TransitionWorker,
} from './transition-worker.ts';

const releaseKey = (r: { tenantId: string; pipelineId: string }) => `${r.tenantId}\u0000${r.pipelineId}`;

/** A short reason from a refusal body, which is `{error: {code, message}}` from a Capstan worker. */
function refusalOf(status: number, body: string): string {
  try {
    const error = (JSON.parse(body) as { error?: { code?: unknown; message?: unknown } }).error;
    if (error && typeof error.message === 'string')
      return `${status} ${String(error.code)}: ${error.message}`;
  } catch {
    // Not JSON: the status says enough (the body may be a proxy's page).
  }
  return `${status}`;
}

/** What a call's outcome means for the segment. */
function resultOf(outcome: RestCallOutcome, workerId: string): SegmentResult {
  switch (outcome.kind) {
    case 'aborted':
      return { outcome: 'ABANDONED' };
    case 'not-sent':
      return { outcome: 'UNREACHABLE', reason: `worker ${workerId} unreachable: ${outcome.reason}` };
    case 'unknown':
      return { outcome: 'OUTCOME_UNKNOWN', reason: `worker ${workerId}: ${outcome.reason}` };
    case 'answered':
      break;
  }
  const { status, body } = outcome;
  if (status >= 200 && status < 300) {
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
  // Refusals a worker makes before running anything: our credentials, its configuration, or
  // its shutdown. It cannot take work from this coordinator now.
  if (status === 401 || status === 403 || status === 404 || status === 503)
    return {
      outcome: 'UNREACHABLE',
      reason: `worker ${workerId} refused the call: ${refusalOf(status, body)}`,
    };
  if (status >= 400 && status < 500)
    return {
      outcome: 'REFUSED',
      reason: `worker ${workerId} rejected the command: ${refusalOf(status, body)}`,
    };
  // A server error may come from anywhere, also from after the segment ran.
  return { outcome: 'OUTCOME_UNKNOWN', reason: `worker ${workerId} failed: ${refusalOf(status, body)}` };
}

/**
 * A transition worker in another process, reached over signed REST. What it hosts comes from
 * its lifecycle registrations: per tenant and pipeline, one release at the endpoint it gave.
 * Each segment is one signed POST of a command envelope, answered by a signed result envelope.
 */
export class RestTransitionWorker implements TransitionWorker {
  readonly workerId: string;
  readonly protocol = 'rest' as const;
  readonly #client: SignedRestClient;
  readonly #releases = new Map<string, { release: HostedRelease; baseUrl: string }>();

  constructor(workerId: string, client: SignedRestClient) {
    this.workerId = workerId;
    this.#client = client;
  }

  /** Records the release the worker registered for a pipeline, and where to reach it. */
  host(release: HostedRelease, baseUrl: string): void {
    this.#releases.set(releaseKey(release), { release, baseUrl });
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
    const prior = await Promise.all(
      Array.from({ length: command.currentStepIndex }, async (_, stepIndex) => ({
        stepIndex,
        output: await hooks.outputOf(stepIndex),
      })),
    );
    const priorOutputs: StepOutput[] = prior.filter((p) => p.output !== undefined);
    const outcome = await this.#client.call(hosted.baseUrl, {
      method: 'POST',
      path: EXECUTE_PATH,
      body: JSON.stringify(encodeCommand(command, priorOutputs)),
      signal: hooks.signal,
    });
    return resultOf(outcome, this.workerId);
  }
}
