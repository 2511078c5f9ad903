import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { SegmentCommand, SegmentResult, SegmentTrace } from '../segment/transition-worker.ts';
import { TraceAttr, type Tracing } from '../tracing/tracing.ts';

/** How a worker traces the segments it runs (docs/tracing.md#remote-workers). */
export interface WorkerTracing {
  readonly tracing: Tracing;
  /** The worker's id, known once its servers listen. */
  readonly workerId: () => string;
}

/**
 * The worker's span of one segment, a child of the coordinator's segment span named by the
 * call's `traceparent` (REST header, gRPC metadata), so its step spans join the execution's
 * trace. Nothing when the worker's own tracing is off.
 */
export function startWorkerSegmentSpan(
  tracing: WorkerTracing | undefined,
  command: SegmentCommand,
  traceparent: string | undefined,
): { readonly trace?: SegmentTrace; end(result: SegmentResult): void } {
  if (!tracing?.tracing.enabled) return { end: () => undefined };
  const { tracer } = tracing.tracing;
  const parent = tracing.tracing.contextOf(traceparent);
  const span = tracer.startSpan(
    'worker.segment',
    {
      kind: SpanKind.SERVER,
      attributes: {
        [TraceAttr.TENANT]: command.tenantId,
        [TraceAttr.PIPELINE]: command.pipelineId,
        [TraceAttr.EXECUTION]: command.executionId,
        [TraceAttr.RELEASE]: command.releaseVersion,
        [TraceAttr.STEP_INDEX]: command.currentStepIndex,
        [TraceAttr.ATTEMPT]: command.attempt,
        [TraceAttr.WORKER_ID]: tracing.workerId(),
      },
    },
    parent,
  );
  return {
    trace: { tracer, context: trace.setSpan(parent, span) },
    end(result) {
      span.setAttribute(TraceAttr.OUTCOME, result.outcome.toLowerCase());
      if (result.outcome === 'FAILED') {
        span.setAttribute(TraceAttr.ERROR_CODE, result.failure.code);
        span.setStatus({ code: SpanStatusCode.ERROR, message: result.failure.code });
      }
      span.end();
    },
  };
}

/** The `traceparent` a call carried: one string value (a header or metadata entry), else none. */
export const traceparentOf = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : undefined;
