import { ZodError, type z } from 'zod';
import { FailureCode } from '../domain/failure-codes.ts';
import type { PipelineStep } from '../sdk/define-pipeline.ts';
import { NonRetryableError } from '../sdk/errors.ts';
import { truncateStack } from '../domain/error-stack.ts';
import type { StepFailureReport } from './transition-worker.ts';

/** A value that does not match its schema: final, since running the step again cannot fix it. */
export class SchemaViolation extends Error {
  readonly code: string;
  constructor(code: string, error: ZodError) {
    super(error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '));
    this.name = 'SchemaViolation';
    this.code = code;
  }
}

export function parseWith(schema: z.ZodType, value: unknown, code: string): unknown {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new SchemaViolation(code, parsed.error);
  return parsed.data;
}

/**
 * Maps what a step threw to a failure report: schema violations and NonRetryableError are final.
 * An error the step's code threw keeps its stack (truncated); a schema violation's would show
 * only Capstan's own frames, so it has none.
 */
export function failureOf(error: unknown, step: PipelineStep, fallbackCode?: string): StepFailureReport {
  const skipDlq = !step.dlq;
  if (error instanceof SchemaViolation) {
    return {
      failureClass: error.name,
      code: error.code,
      message: error.message,
      nonRetryable: true,
      skipDlq,
    };
  }
  if (error instanceof NonRetryableError) {
    return {
      failureClass: error.name,
      code: error.code,
      message: error.message,
      nonRetryable: true,
      skipDlq,
      ...stackOf(error),
    };
  }
  if (error instanceof ZodError) {
    return {
      failureClass: 'ZodError',
      code: fallbackCode ?? FailureCode.SCHEMA_VIOLATION,
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
    ...stackOf(error),
  };
}

function stackOf(error: unknown): { stack?: string } {
  const stack = truncateStack(error instanceof Error ? error.stack : undefined);
  return stack === undefined ? {} : { stack };
}
