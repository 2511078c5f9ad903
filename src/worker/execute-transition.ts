import { CapstanError } from '../errors/catalog.ts';
import { decodeCommand } from '../worker-protocol/command-codec.ts';
import { commandEnvelopeSchema, type ResultEnvelope } from '../worker-protocol/envelopes.ts';
import { encodeResult } from '../worker-protocol/result-codec.ts';
import { runSegment } from '../segment/segment-runner.ts';
import type { StepOutput } from '../segment/transition-worker.ts';
import type { HostedReleases } from './hosted-releases.ts';
import { startWorkerSegmentSpan, type WorkerTracing } from './worker-span.ts';

/** How a command was handled: a result envelope, or a refusal made before anything ran. */
export type TransitionAnswer =
  | {
      readonly kind: 'result';
      readonly envelope: ResultEnvelope;
      readonly executionId: string;
      readonly transitionKey: string;
    }
  | {
      readonly kind: 'invalid';
      readonly code: 'invalid_request' | 'invalid_payload_envelope';
      readonly message: string;
    }
  /** The caller went away mid-segment; nobody is left to read an answer. */
  | { readonly kind: 'abandoned' };

/**
 * Runs one command envelope on this worker, whatever protocol carried it (REST now, gRPC
 * later; the caller has verified its signature). The pinned identity is checked before the
 * payload is decoded: a command for a release this worker does not host is refused as a
 * dispatch error and its payload never read. The segment runs with the same runner as the
 * coordinator's in-process worker; each step's output is collected for the result, so the
 * steps completed before a failure or an await are checkpointed by the coordinator.
 */
export async function executeTransition(
  raw: unknown,
  hosted: HostedReleases,
  signal: AbortSignal,
  options: {
    stepTimeoutMs?: number | undefined;
    tracing?: WorkerTracing | undefined;
    /** The caller's W3C `traceparent`, when it sent one. */
    traceparent?: string | undefined;
  } = {},
): Promise<TransitionAnswer> {
  const parsed = commandEnvelopeSchema.safeParse(raw);
  if (!parsed.success) {
    const message = parsed.error.issues
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    return { kind: 'invalid', code: 'invalid_request', message: `not a transition command: ${message}` };
  }
  const envelope = parsed.data;
  const release = hosted.match(envelope);
  const ids = { executionId: envelope.executionId, transitionKey: envelope.transitionKey };
  if (typeof release === 'string')
    return {
      kind: 'result',
      envelope: encodeResult({ outcome: 'REFUSED', reason: release }, envelope, []),
      ...ids,
    };
  let decoded: ReturnType<typeof decodeCommand>;
  try {
    decoded = decodeCommand(envelope);
  } catch (error) {
    if (!(error instanceof CapstanError)) throw error;
    return { kind: 'invalid', code: 'invalid_payload_envelope', message: error.message };
  }
  const { command } = decoded;
  const outputs = new Map(decoded.priorOutputs.map((o) => [o.stepIndex, o.output]));
  const completed: StepOutput[] = [];
  const span = startWorkerSegmentSpan(options.tracing, command, options.traceparent);
  const result = await runSegment(release.pipeline, command, {
    ...(span.trace ? { trace: span.trace } : {}),
    signal,
    // A step's own `timeout` wins; this is the worker's default for the others.
    ...(options.stepTimeoutMs === undefined ? {} : { stepTimeoutMs: options.stepTimeoutMs }),
    checkpoint: async (stepIndex, output) => {
      completed.push({ stepIndex, output });
      outputs.set(stepIndex, output);
      return !signal.aborted;
    },
    outputOf: async (stepIndex) => outputs.get(stepIndex),
    outputsBefore: async (below) =>
      [...outputs]
        .filter(([stepIndex]) => stepIndex < below)
        .sort(([a], [b]) => a - b)
        .map(([stepIndex, output]) => ({ stepIndex, output })),
  });
  span.end(result);
  if (result.outcome === 'ABANDONED') return { kind: 'abandoned' };
  if (result.outcome === 'UNREACHABLE' || result.outcome === 'OUTCOME_UNKNOWN')
    throw new Error(`the segment runner reported ${result.outcome}, which only a coordinator can`);
  return { kind: 'result', envelope: encodeResult(result, command, completed), ...ids };
}
