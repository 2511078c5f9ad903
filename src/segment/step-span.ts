import { SpanStatusCode, type Span } from '@opentelemetry/api';
import type { StepContext } from '../sdk/step-context.ts';
import { TraceAttr } from '../tracing/tracing.ts';
import type { SegmentResult, SegmentTrace } from './transition-worker.ts';

/** A step that returned and was checkpointed; the segment goes on with the next step. */
export interface StepContinues {
  readonly outcome: 'CONTINUE';
  readonly output: unknown;
}

/** Starts the span of one try of a step, a child of the segment's span: ids only, no payload. */
export function startStepSpan(trace: SegmentTrace | undefined, ctx: StepContext): Span | undefined {
  return trace?.tracer.startSpan(
    `step ${ctx.stepId}`,
    {
      attributes: {
        [TraceAttr.TENANT]: ctx.tenantId,
        [TraceAttr.PIPELINE]: ctx.pipelineId,
        [TraceAttr.EXECUTION]: ctx.executionId,
        [TraceAttr.STEP_ID]: ctx.stepId,
        [TraceAttr.STEP_INDEX]: ctx.stepIndex,
        [TraceAttr.ATTEMPT]: ctx.attempt,
      },
    },
    trace.context,
  );
}

const outcomeNames: Record<string, string> = {
  CONTINUE: 'succeeded',
  COMPLETED: 'succeeded',
  WAITING_EXTERNAL: 'parked',
  FAILED: 'failed',
  ABANDONED: 'abandoned',
};

/** Ends a step's span with its outcome; a failure sets the error status and records the exception. */
export function endStepSpan(span: Span | undefined, result: SegmentResult | StepContinues): void {
  if (!span) return;
  span.setAttribute(TraceAttr.OUTCOME, outcomeNames[result.outcome] ?? result.outcome.toLowerCase());
  if (result.outcome === 'FAILED') {
    const { failure } = result;
    span.setAttribute(TraceAttr.ERROR_CODE, failure.code);
    span.recordException({
      name: failure.failureClass,
      message: failure.message,
      ...(failure.stack === undefined ? {} : { stack: failure.stack }),
    });
    span.setStatus({ code: SpanStatusCode.ERROR, message: failure.code });
  }
  span.end();
}
