import { systemTimers } from '../runtime/timers.ts';
import type { Pipeline, PipelineStep } from '../sdk/define-pipeline.ts';
import type { StepContext } from '../sdk/step-context.ts';
import { runBounded, stepSignalOf, type BoundedOutcome } from './bounded-step.ts';
import { failureOf, parseWith } from './step-failure.ts';
import type { SegmentCommand, SegmentHooks, SegmentResult } from './transition-worker.ts';
import { FailureCode } from '../domain/failure-codes.ts';
import { endStepSpan, startStepSpan, type StepContinues } from './step-span.ts';

/** JSON in, JSON out: a step sees the same input whether it runs in this segment or after a resume. */
const asJson = (value: unknown): unknown => (value === undefined ? null : JSON.parse(JSON.stringify(value)));

/** How long a step that sets no timeout may run, unless the worker is configured otherwise. */
export const DEFAULT_STEP_TIMEOUT_MS = 5 * 60_000;

/**
 * Runs one segment of a pipeline: from `currentStepIndex` to the next await or the end. Each
 * step's output goes through `hooks.checkpoint` before the next step starts (the local worker
 * commits it to the store; a remote worker collects it for its result), so a step that has
 * completed never runs again. Every worker, in-process or remote, runs segments with this.
 * The caller has already checked that `pipeline` is the command's pinned release.
 */
export async function runSegment(
  pipeline: Pipeline,
  command: SegmentCommand,
  hooks: SegmentHooks,
): Promise<SegmentResult> {
  const stepSignal = stepSignalOf(hooks.signal);
  try {
    return await runSteps(pipeline, command, hooks, stepSignal.controller);
  } finally {
    stepSignal.release();
  }
}

async function runSteps(
  pipeline: Pipeline,
  command: SegmentCommand,
  hooks: SegmentHooks,
  stepController: AbortController,
): Promise<SegmentResult> {
  let input: unknown = command.input;
  // An item's continuation stops before its aggregate; anything else runs to the end.
  const end = Math.min(command.stopBeforeStepIndex ?? pipeline.steps.length, pipeline.steps.length);
  for (let index = command.currentStepIndex; index < end; index++) {
    const step = pipeline.steps[index] as PipelineStep;
    const ctx = stepContext(pipeline, command, step, index, hooks);
    const span = startStepSpan(hooks.trace, ctx);
    const result = await runStep(
      pipeline,
      { step, index, input, ctx, last: index === end - 1 },
      hooks,
      stepController,
    );
    endStepSpan(span, result);
    if (result.outcome !== 'CONTINUE') return result;
    input = result.output;
  }
  return {
    outcome: 'REFUSED',
    reason: `step index ${command.currentStepIndex} is past the end of ${command.pipelineId}`,
  };
}

/**
 * One try of one step: its output checkpointed (the segment continues), or how the segment
 * ends there (completed, parked at an await, failed, abandoned).
 */
async function runStep(
  pipeline: Pipeline,
  at: { step: PipelineStep; index: number; input: unknown; ctx: StepContext; last: boolean },
  hooks: SegmentHooks,
  stepController: AbortController,
): Promise<SegmentResult | StepContinues> {
  const { step, index, ctx } = at;
  let parsedInput: unknown;
  try {
    parsedInput = parseInput(pipeline, index, at.input);
  } catch (error) {
    return {
      outcome: 'FAILED',
      stepIndex: index,
      failure: failureOf(error, step, FailureCode.INPUT_INVALID),
    };
  }
  const bounded = (call: (signal: AbortSignal) => unknown): Promise<BoundedOutcome> =>
    runBounded(call, {
      signal: hooks.signal,
      step: stepController,
      timers: hooks.timers ?? systemTimers,
      timeoutMs:
        (step.kind === 'step' ? step.timeoutMs : undefined) ?? hooks.stepTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS,
      what: `step '${step.id}'`,
    });
  if (step.kind === 'await') {
    const ran = await bounded((signal) => step.request(parsedInput, { ...ctx, signal }));
    if (ran.kind !== 'done') return unfinished(ran, index, step);
    try {
      const requestPayload = asJson(ran.value);
      return {
        outcome: 'WAITING_EXTERNAL',
        stepIndex: index,
        suspension: {
          stepId: step.id,
          requestPayload,
          deadlineMs: step.deadlineMs,
          group: step.group ?? null,
          assignee: step.assignee ?? null,
          transportType: step.transport,
        },
      };
    } catch (error) {
      return { outcome: 'FAILED', stepIndex: index, failure: failureOf(error, step) };
    }
  }
  if (step.kind === 'expand') {
    // The items are collected within the step's time bound: an async source is read to its end.
    const ran = await bounded(async (signal) =>
      collectItems(await step.run(parsedInput, { ...ctx, signal })),
    );
    if (ran.kind !== 'done') return unfinished(ran, index, step);
    try {
      const items = (ran.value as unknown[]).map((item) =>
        asJson(parseWith(step.item, item, FailureCode.OUTPUT_INVALID)),
      );
      // A segment ends at an expand: its output is the items, which the coordinator commits as
      // child executions (docs/items.md), so the wire needs no outcome of its own for it.
      return { outcome: 'COMPLETED', stepIndex: index, output: items };
    } catch (error) {
      return { outcome: 'FAILED', stepIndex: index, failure: failureOf(error, step) };
    }
  }
  const ran = await bounded((signal) => step.run(parsedInput, { ...ctx, signal }));
  if (ran.kind !== 'done') return unfinished(ran, index, step);
  let output: unknown;
  try {
    output = asJson(parseWith(step.output, ran.value, FailureCode.OUTPUT_INVALID));
  } catch (error) {
    return { outcome: 'FAILED', stepIndex: index, failure: failureOf(error, step) };
  }
  if (at.last) return { outcome: 'COMPLETED', stepIndex: index, output };
  if (!(await hooks.checkpoint(index, output))) return { outcome: 'ABANDONED' };
  return { outcome: 'CONTINUE', output };
}

/**
 * A step that did not return: its error is its failure; an abort leaves nothing to report
 * (the lease or the execution is gone); a timeout is a retryable failure, `step_timeout`.
 */
function unfinished(
  ran: Exclude<BoundedOutcome, { kind: 'done' }>,
  stepIndex: number,
  step: PipelineStep,
): SegmentResult {
  switch (ran.kind) {
    case 'threw':
      return { outcome: 'FAILED', stepIndex, failure: failureOf(ran.error, step) };
    case 'aborted':
      return { outcome: 'ABANDONED' };
    case 'timed_out':
      return {
        outcome: 'FAILED',
        stepIndex,
        failure: {
          failureClass: 'StepTimeoutError',
          code: FailureCode.STEP_TIMEOUT,
          message: `step '${step.id}' did not finish within its timeout`,
          nonRetryable: false,
          skipDlq: !step.dlq,
        },
      };
  }
}

/** The schema a step's input comes from: the pipeline input, or an await step's response. */
function parseInput(pipeline: Pipeline, index: number, input: unknown): unknown {
  if (index === 0) return parseWith(pipeline.input, input, FailureCode.INPUT_INVALID);
  const previous = pipeline.steps[index - 1];
  if (previous?.kind === 'await') return parseWith(previous.response, input, FailureCode.INPUT_INVALID);
  if (previous?.kind === 'expand') return parseWith(previous.item, input, FailureCode.INPUT_INVALID);
  return input;
}

/** An expand step's items, whichever form its run returned them in. */
async function collectItems(source: unknown): Promise<unknown[]> {
  if (Array.isArray(source)) return source as unknown[];
  if (source !== null && typeof source === 'object') {
    if (Symbol.asyncIterator in source) {
      const items: unknown[] = [];
      for await (const item of source as AsyncIterable<unknown>) items.push(item);
      return items;
    }
    if (Symbol.iterator in source) return [...(source as Iterable<unknown>)];
  }
  throw new TypeError('an expand step must return an array or an (async) iterable of items');
}

function stepContext(
  pipeline: Pipeline,
  command: SegmentCommand,
  step: PipelineStep,
  index: number,
  hooks: SegmentHooks,
): StepContext {
  // Only the segment's first step has been tried before; the command carries its try number,
  // counted across re-drives. A later step of the segment is on its first try.
  const attempt = index === command.currentStepIndex ? command.attempt : 0;
  const idempotencyKey = `${command.executionId}:${step.id}`;
  const stepIndexById = (id: string): number => {
    const found = pipeline.steps.findIndex((s) => s.id === id);
    if (found < 0 || found >= index) throw new Error(`no earlier step '${id}' in ${command.pipelineId}`);
    return found;
  };
  return {
    tenantId: command.tenantId,
    executionId: command.executionId,
    pipelineId: command.pipelineId,
    stepId: step.id,
    stepIndex: index,
    attempt,
    idempotencyKey,
    attemptKey: `${idempotencyKey}:${attempt}`,
    signal: hooks.signal,
    outputOf: (stepId) => hooks.outputOf(stepIndexById(stepId)),
  };
}
