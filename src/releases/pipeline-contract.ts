import { z } from 'zod';
import { CapstanError } from '../errors/catalog.ts';
import { pipelineShapeProblem, type Pipeline, type PipelineStep } from '../sdk/define-pipeline.ts';
import type { StepRetryPolicy } from '../sdk/step-retry.ts';
import { canonicalJson, sha256Hex } from '../util/canonical-json.ts';

/** JSON Schema (draft 2020-12) as zod emits it. */
export type JsonSchema = Record<string, unknown>;

export interface ContractStep {
  readonly index: number;
  readonly stepId: string;
  /** `expand` and `aggregate` (docs/items.md) are refused, as unknown kinds, by older coordinators. */
  readonly kind: 'step' | 'await' | 'expand' | 'aggregate';
  readonly cardinality: 'ONE_TO_ONE';
  readonly outputSchema?: JsonSchema;
  readonly responseSchema?: JsonSchema;
  /** An expand step's item schema: what each item is, and the input of the step after it. */
  readonly itemSchema?: JsonSchema;
  /**
   * The step's own retry policy (ms), present only when the step sets one: the coordinator
   * schedules retries by it, including for remote workers whose code it never loads. Absent,
   * it leaves the contract (and its version) as it was before steps could set one.
   */
  readonly retry?: StepRetryPolicy;
  readonly await?: {
    readonly transport: string;
    readonly deadlineMs: number;
    readonly group: string | null;
    readonly assignee: string | null;
    /**
     * The admission budget (docs/await-admission.md), present only when the step sets one, so
     * a contract without budgets (and its version) is as it was before steps could set one.
     */
    readonly admission?: number;
  };
}

/**
 * `pipeline-contract.json`: the canonical description of a pipeline. Its version is the
 * sha256 of its canonical JSON, so it changes exactly when a step, a schema or await metadata
 * changes, and never with formatting or with code that keeps the same shape.
 */
export interface PipelineContract {
  readonly schemaVersion: 1;
  readonly pipelineId: string;
  readonly inputSchema: JsonSchema;
  readonly steps: readonly ContractStep[];
  readonly capabilities: {
    readonly localTransitionExecution: boolean;
    readonly transitionWorkerProtocols: string[];
  };
  readonly contractHash: string;
  readonly contractVersion: string;
}

export function toJsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  return z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' });
}

const retryOf = (step: { retry?: StepRetryPolicy | undefined }) =>
  step.retry === undefined || Object.keys(step.retry).length === 0 ? {} : { retry: step.retry };

function contractStep(step: PipelineStep, index: number): ContractStep {
  if (step.kind === 'expand')
    return {
      index,
      stepId: step.id,
      kind: 'expand',
      cardinality: 'ONE_TO_ONE',
      itemSchema: toJsonSchema(step.item, 'output'),
      ...retryOf(step),
    };
  if (step.kind === 'aggregate')
    return {
      index,
      stepId: step.id,
      kind: 'aggregate',
      cardinality: 'ONE_TO_ONE',
      outputSchema: toJsonSchema(step.output, 'output'),
      ...retryOf(step),
    };
  if (step.kind === 'step') {
    return {
      index,
      stepId: step.id,
      kind: 'step',
      cardinality: 'ONE_TO_ONE',
      outputSchema: toJsonSchema(step.output, 'output'),
      ...(step.retry === undefined || Object.keys(step.retry).length === 0 ? {} : { retry: step.retry }),
    };
  }
  return {
    index,
    stepId: step.id,
    kind: 'await',
    cardinality: 'ONE_TO_ONE',
    responseSchema: toJsonSchema(step.response, 'input'),
    await: {
      transport: step.transport,
      deadlineMs: step.deadlineMs,
      group: step.group ?? null,
      assignee: step.assignee ?? null,
      ...(step.admission === undefined ? {} : { admission: step.admission }),
    },
  };
}

export function buildContract(pipeline: Pipeline): PipelineContract {
  if (pipeline.steps.length === 0) throw new Error(`pipeline ${pipeline.id} has no steps`);
  const last = pipeline.steps[pipeline.steps.length - 1];
  if (last?.kind === 'await')
    throw new Error(`pipeline ${pipeline.id} ends with an await step; add a step after it`);
  const shape = pipelineShapeProblem(pipeline.steps, { complete: true });
  if (shape) throw new CapstanError('pipeline_shape_invalid', `pipeline ${pipeline.id}: ${shape}`);
  const body = {
    schemaVersion: 1 as const,
    pipelineId: pipeline.id,
    inputSchema: toJsonSchema(pipeline.input, 'input'),
    steps: pipeline.steps.map(contractStep),
    capabilities: { localTransitionExecution: true, transitionWorkerProtocols: ['local'] },
  };
  const contractHash = sha256Hex(canonicalJson(body));
  return { ...body, contractHash, contractVersion: `sha256:${contractHash}` };
}

/**
 * Checks that a contract read from an artifact is what its version says: the sha256 of its
 * canonical body (everything but `contractHash` and `contractVersion`).
 */
export function contractIsIntact(contract: Record<string, unknown>): boolean {
  const { contractHash, contractVersion, ...body } = contract;
  const hash = sha256Hex(canonicalJson(body));
  return contractHash === hash && contractVersion === `sha256:${hash}`;
}

/** The file's bytes: canonical JSON, so the same contract is the same file. */
export function contractFileText(contract: PipelineContract): string {
  return `${canonicalJson(contract)}\n`;
}
