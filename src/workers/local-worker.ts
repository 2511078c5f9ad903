import { ZodError, type z } from 'zod';
import type { Pipeline, PipelineStep } from '../sdk/define-pipeline.ts';
import { NonRetryableError } from '../sdk/errors.ts';
import type { StepContext } from '../sdk/step-context.ts';
import type {
  HostedRelease,
  SegmentCommand,
  SegmentHooks,
  SegmentResult,
  StepFailureReport,
  TransitionWorker,
} from './transition-worker.ts';

export interface LocalRelease extends HostedRelease {
  readonly pipeline: Pipeline;
}

/** JSON in, JSON out: a step sees the same input whether it runs in this segment or after a resume. */
const asJson = (value: unknown): unknown => (value === undefined ? null : JSON.parse(JSON.stringify(value)));

/**
 * The in-process transition worker. It checks the pinned identity before touching the input,
 * runs steps one after another, checkpoints each step's output through the coordinator before
 * starting the next, and stops at an await or at the end.
 */
export class LocalWorker implements TransitionWorker {
  readonly workerId: string;
  readonly protocol = 'local' as const;
  readonly #releases = new Map<string, LocalRelease>();

  constructor(workerId: string, releases: readonly LocalRelease[] = []) {
    this.workerId = workerId;
    for (const release of releases) this.host(release);
  }

  host(release: LocalRelease): void {
    this.#releases.set(`${release.tenantId}\u0000${release.releaseVersion}`, release);
  }

  hostedReleases(): readonly HostedRelease[] {
    return [...this.#releases.values()];
  }

  async execute(command: SegmentCommand, hooks: SegmentHooks): Promise<SegmentResult> {
    const release = this.#releases.get(`${command.tenantId}\u0000${command.releaseVersion}`);
    if (
      !release ||
      release.pipelineId !== command.pipelineId ||
      release.contractVersion !== command.contractVersion
    ) {
      return {
        outcome: 'REFUSED',
        reason: `worker ${this.workerId} does not host ${command.pipelineId}@${command.releaseVersion}`,
      };
    }
    const steps = release.pipeline.steps;
    let input: unknown = command.input;
    for (let index = command.currentStepIndex; index < steps.length; index++) {
      const step = steps[index] as PipelineStep;
      const ctx = this.#context(command, step, index, hooks);
      let parsedInput: unknown;
      try {
        parsedInput = this.#parseInput(release.pipeline, index, input);
      } catch (error) {
        return { outcome: 'FAILED', stepIndex: index, failure: failureOf(error, step, 'input_invalid') };
      }
      if (step.kind === 'await') {
        try {
          const requestPayload = asJson(await step.request(parsedInput, ctx));
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
      let output: unknown;
      try {
        const raw: unknown = await step.run(parsedInput, ctx);
        output = asJson(parseWith(step.output, raw, 'output_invalid'));
      } catch (error) {
        return { outcome: 'FAILED', stepIndex: index, failure: failureOf(error, step) };
      }
      if (index === steps.length - 1) return { outcome: 'COMPLETED', stepIndex: index, output };
      if (!(await hooks.checkpoint(index, output))) return { outcome: 'ABANDONED' };
      input = output;
    }
    return {
      outcome: 'REFUSED',
      reason: `step index ${command.currentStepIndex} is past the end of ${command.pipelineId}`,
    };
  }

  /** The schema a step's input comes from: the pipeline input, or an await step's response. */
  #parseInput(pipeline: Pipeline, index: number, input: unknown): unknown {
    if (index === 0) return parseWith(pipeline.input, input, 'input_invalid');
    const previous = pipeline.steps[index - 1];
    if (previous?.kind === 'await') return parseWith(previous.response, input, 'input_invalid');
    return input;
  }

  #context(command: SegmentCommand, step: PipelineStep, index: number, hooks: SegmentHooks): StepContext {
    const attempt = index === command.currentStepIndex ? command.attempt : 0;
    const stepIndexById = (id: string): number => {
      const found = this.#releases
        .get(`${command.tenantId}\u0000${command.releaseVersion}`)
        ?.pipeline.steps.findIndex((s) => s.id === id);
      if (found === undefined || found < 0 || found >= index)
        throw new Error(`no earlier step '${id}' in ${command.pipelineId}`);
      return found;
    };
    return {
      tenantId: command.tenantId,
      executionId: command.executionId,
      pipelineId: command.pipelineId,
      stepId: step.id,
      stepIndex: index,
      attempt,
      idempotencyKey: `${command.executionId}:${index}:${attempt}`,
      signal: hooks.signal,
      outputOf: (stepId) => hooks.outputOf(stepIndexById(stepId)),
    };
  }
}

class SchemaViolation extends Error {
  readonly code: string;
  constructor(code: string, error: ZodError) {
    super(error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '));
    this.name = 'SchemaViolation';
    this.code = code;
  }
}

function parseWith(schema: z.ZodType, value: unknown, code: string): unknown {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new SchemaViolation(code, parsed.error);
  return parsed.data;
}

/** Maps what a step threw to a failure report: schema violations and NonRetryableError are final. */
function failureOf(error: unknown, step: PipelineStep, fallbackCode?: string): StepFailureReport {
  const skipDlq = !step.dlq;
  if (error instanceof SchemaViolation || error instanceof NonRetryableError) {
    return {
      failureClass: error.name,
      code: error.code,
      message: error.message,
      nonRetryable: true,
      skipDlq,
    };
  }
  if (error instanceof ZodError) {
    return {
      failureClass: 'ZodError',
      code: fallbackCode ?? 'schema_violation',
      message: error.message,
      nonRetryable: true,
      skipDlq,
    };
  }
  const e = error instanceof Error ? error : new Error(String(error));
  const rawCode: unknown = (e as { code?: unknown }).code;
  const code = typeof rawCode === 'string' ? rawCode : e.name || 'Error';
  return {
    failureClass: e.name || 'Error',
    code,
    message: e.message || String(error),
    nonRetryable: false,
    skipDlq,
  };
}
