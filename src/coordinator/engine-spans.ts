import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { SegmentResult, SegmentTrace, TransitionWorker } from '../segment/transition-worker.ts';
import type { ExecutionRecord, InteractionRecord } from '../store/records.ts';
import { TraceAttr, type Tracing } from '../tracing/tracing.ts';

/** An error's catalogue code for a span, or its class: never its message (it may quote input). */
const errorCodeOf = (error: unknown): string =>
  typeof (error as { code?: unknown }).code === 'string'
    ? (error as { code: string }).code
    : error instanceof Error
      ? error.name
      : 'error';

const executionAttributes = (x: ExecutionRecord) => ({
  [TraceAttr.TENANT]: x.tenantId,
  [TraceAttr.PIPELINE]: x.pipelineId,
  [TraceAttr.EXECUTION]: x.executionId,
  [TraceAttr.RELEASE]: x.releaseVersion,
});

/**
 * The `submit` span around a submission (docs/tracing.md). `run` receives the span's
 * `traceparent` to store with a new execution, so every later segment continues this trace;
 * a client's own `traceparent` makes the submit a child of the client's span.
 */
export async function traceSubmit<T extends { execution: ExecutionRecord; duplicate: boolean }>(
  tracing: Tracing,
  at: { tenantId: string; pipelineId: string; traceparent?: string | undefined },
  run: (traceparent: string | undefined) => Promise<T>,
): Promise<T> {
  const span = tracing.tracer.startSpan(
    'submit',
    {
      kind: SpanKind.SERVER,
      attributes: { [TraceAttr.TENANT]: at.tenantId, [TraceAttr.PIPELINE]: at.pipelineId },
    },
    tracing.contextOf(at.traceparent),
  );
  try {
    const submitted = await run(tracing.traceparentOf(trace.setSpan(ROOT_CONTEXT, span)));
    span.setAttributes({
      ...executionAttributes(submitted.execution),
      [TraceAttr.DUPLICATE]: submitted.duplicate,
    });
    return submitted;
  } catch (error) {
    const code = errorCodeOf(error);
    span.setAttribute(TraceAttr.ERROR_CODE, code);
    span.setStatus({ code: SpanStatusCode.ERROR, message: code });
    throw error;
  } finally {
    span.end();
  }
}

/** The span of one segment run on a worker, and the trace its steps (and a remote worker) continue. */
export interface SegmentSpan {
  readonly trace: SegmentTrace;
  end(result: SegmentResult): void;
}

/**
 * Starts a segment's span, a child of the submit's span stored with the execution: one trace
 * per execution, across awaits, retries and nodes. An execution submitted untraced gets a
 * trace per segment.
 */
export function startSegmentSpan(
  tracing: Tracing,
  x: ExecutionRecord,
  attempt: number,
  worker: TransitionWorker | undefined,
): SegmentSpan {
  const parent = tracing.contextOf(x.traceparent);
  const span: Span = tracing.tracer.startSpan(
    'segment',
    {
      kind: worker && worker.protocol !== 'local' ? SpanKind.CLIENT : SpanKind.INTERNAL,
      attributes: {
        ...executionAttributes(x),
        [TraceAttr.STEP_INDEX]: x.stepIndex,
        [TraceAttr.ATTEMPT]: attempt,
        ...(worker
          ? { [TraceAttr.WORKER_ID]: worker.workerId, [TraceAttr.WORKER_PROTOCOL]: worker.protocol }
          : {}),
      },
    },
    parent,
  );
  const context = trace.setSpan(parent, span);
  return {
    trace: { tracer: tracing.tracer, context, traceparent: tracing.traceparentOf(context) },
    end(result) {
      span.setAttribute(TraceAttr.OUTCOME, result.outcome.toLowerCase());
      if (result.outcome === 'FAILED') {
        span.setAttribute(TraceAttr.ERROR_CODE, result.failure.code);
        span.setStatus({ code: SpanStatusCode.ERROR, message: result.failure.code });
      } else if (result.outcome === 'UNREACHABLE' || result.outcome === 'OUTCOME_UNKNOWN') {
        span.setStatus({ code: SpanStatusCode.ERROR, message: result.reason });
      }
      span.end();
    },
  };
}

/**
 * The `await <stepId>` span of a completed interaction: from when it opened (the park) to its
 * completion, a child of the execution's `submit` span, so the wait between the segment that
 * parked and the one that resumes shows in the trace. Recorded after the fact, with both
 * instants, since no span stays open across the wait.
 */
export function recordAwait(
  tracing: Tracing | undefined,
  x: ExecutionRecord,
  interaction: InteractionRecord,
): void {
  if (!tracing?.enabled) return;
  const span = tracing.tracer.startSpan(
    `await ${interaction.stepId}`,
    {
      startTime: interaction.createdAtMs,
      attributes: {
        ...executionAttributes(x),
        [TraceAttr.STEP_ID]: interaction.stepId,
        [TraceAttr.STEP_INDEX]: interaction.stepIndex,
        [TraceAttr.INTERACTION]: interaction.interactionId,
        [TraceAttr.OUTCOME]: 'completed',
      },
    },
    tracing.contextOf(x.traceparent),
  );
  span.end(interaction.updatedAtMs);
}
