import type { z } from 'zod';
import { durationToMs, type Duration } from '../util/iso-duration.ts';
import type { StepContext } from './step-context.ts';
import { stepRetryPolicy, type StepRetryOptions, type StepRetryPolicy } from './step-retry.ts';

/** An ordinary step: a plain async function from the previous output to its own. */
export interface TaskStep {
  readonly kind: 'step';
  readonly id: string;
  readonly output: z.ZodType;
  readonly run: (input: unknown, ctx: StepContext) => unknown;
  /** `false` sends a terminal failure of this step to FAILED instead of the DLQ. */
  readonly dlq: boolean;
  /**
   * How long one try may run before it fails with `step_timeout` (a retryable failure);
   * undefined takes the worker's default (`capstan.step-timeout`).
   */
  readonly timeoutMs?: number | undefined;
  /**
   * The step's own retry policy; each field it leaves out takes the coordinator's setting.
   * Part of the pipeline contract, so the coordinator honours it for remote workers too.
   */
  readonly retry?: StepRetryPolicy | undefined;
}

/**
 * An await step parks the execution until the outside world answers: the coordinator creates
 * an interaction (request payload, deadline, group/assignee), and the validated response
 * becomes the next step's input.
 */
export interface AwaitStep {
  readonly kind: 'await';
  readonly id: string;
  readonly response: z.ZodType;
  readonly deadlineMs: number;
  /** How the request goes out and the answer comes back; see `AwaitOptions.transport`. */
  readonly transport: AwaitTransportName;
  readonly group: string | undefined;
  readonly assignee: string | undefined;
  /** Builds the interaction's request payload from the step's input. */
  readonly request: (input: unknown, ctx: StepContext) => unknown;
  readonly dlq: boolean;
  /** The admission budget: see `AwaitOptions.admission`; undefined = unbounded. */
  readonly admission: number | undefined;
}

/**
 * A 1→N step (docs/items.md): its run returns the items (an array, or an iterable or async
 * iterable), each checked against `item`. Every item becomes a child execution that runs the
 * steps after it up to the next aggregate (its item continuation).
 */
export interface ExpandStep {
  readonly kind: 'expand';
  readonly id: string;
  readonly item: z.ZodType;
  readonly run: (input: unknown, ctx: StepContext) => unknown;
  readonly dlq: boolean;
  readonly timeoutMs?: number | undefined;
  readonly retry?: StepRetryPolicy | undefined;
}

/**
 * An N→1 step: it runs once, when every item of the expansion before it is terminal, with the
 * items' outcomes in item order as its input.
 */
export interface AggregateStep {
  readonly kind: 'aggregate';
  readonly id: string;
  readonly output: z.ZodType;
  readonly run: (input: unknown, ctx: StepContext) => unknown;
  readonly dlq: boolean;
  readonly timeoutMs?: number | undefined;
  readonly retry?: StepRetryPolicy | undefined;
}

export type PipelineStep = TaskStep | AwaitStep | ExpandStep | AggregateStep;

/** How one item ended, as the aggregate (or an expansion's result) sees it. */
export type ItemOutcome<T> =
  | { readonly index: number; readonly status: 'SUCCEEDED'; readonly output: T }
  | {
      readonly index: number;
      readonly status: 'DLQ' | 'FAILED' | 'CANCELLED';
      readonly errorCode: string | null;
      readonly errorMessage: string | null;
    };

/** What an expand step's run may return: the items, at once or one by one. */
export type ItemSource<T> = readonly T[] | Iterable<T> | AsyncIterable<T>;

/** A pipeline as the coordinator and workers see it. */
export interface Pipeline {
  readonly kind: 'capstan.pipeline';
  readonly id: string;
  readonly description: string | undefined;
  readonly input: z.ZodType;
  readonly steps: readonly PipelineStep[];
}

export interface StepOptions<In, Out extends z.ZodType> {
  readonly output: Out;
  readonly run: (input: In, ctx: StepContext) => Promise<z.input<Out>> | z.input<Out>;
  readonly dlq?: boolean;
  /**
   * How long one try may run (ms or ISO-8601, `'PT30S'`): past it the try fails with
   * `step_timeout` and is retried by the retry policy, and `ctx.signal` is aborted so the step
   * can stop. Defaults to the worker's `capstan.step-timeout`.
   */
  readonly timeout?: Duration;
  /**
   * How this step is retried after a retryable failure: `{ maxRetries, delay, multiplier,
   * maxDelay }`, each defaulting to the coordinator's `pipeline.orchestrator.*` setting of the
   * same name. The step's `ctx.idempotencyKey` stays the same across all these tries.
   */
  readonly retry?: StepRetryOptions;
}

export interface ExpandOptions<In, Item extends z.ZodType> {
  /** The schema each item is checked against; the next step receives its output type. */
  readonly item: Item;
  readonly run: (
    input: In,
    ctx: StepContext,
  ) => Promise<ItemSource<z.input<Item>>> | ItemSource<z.input<Item>>;
  readonly dlq?: boolean;
  readonly timeout?: Duration;
  readonly retry?: StepRetryOptions;
}

export interface AggregateOptions<Item, Out extends z.ZodType> {
  readonly output: Out;
  /** Runs once, with every item's outcome in item order. */
  readonly run: (items: ItemOutcome<Item>[], ctx: StepContext) => Promise<z.input<Out>> | z.input<Out>;
  readonly dlq?: boolean;
  readonly timeout?: Duration;
  readonly retry?: StepRetryOptions;
}

export interface AwaitOptions<In, Res extends z.ZodType> {
  readonly response: Res;
  /** How long the interaction stays open: ms or ISO-8601 (`'PT30M'`). */
  readonly deadline: Duration;
  readonly group?: string;
  readonly assignee?: string;
  /**
   * Where the request goes and the answer comes from: `interaction-api` (the default: the
   * HTTP interaction API), or a transport the coordinator configures under
   * `capstan.awaits.transports.*` — `nats`, `rabbitmq`, `webhook` (docs/await-transports.md).
   */
  readonly transport?: AwaitTransportName;
  /** The request payload shown to whoever answers; defaults to the step's input. */
  readonly request?: (input: In, ctx: StepContext) => unknown;
  readonly dlq?: boolean;
  /**
   * The admission budget: at most this many of the step's interactions outstanding at once
   * per tenant (requests out, not yet answered, timed out or cancelled). The others wait,
   * durably and in order, without a request out or a deadline running, until one ends
   * (docs/await-admission.md). `capstan.awaits.admission.<pipeline>.<step>` overrides it.
   */
  readonly admission?: number;
}

/** The built-in transports, or the name of another one a coordinator is given. */
export type AwaitTransportName = 'interaction-api' | 'nats' | 'rabbitmq' | 'sqs' | 'webhook' | (string & {});

const TRANSPORT_NAME = /^[a-z][a-z0-9-]{0,31}$/;

/** A timeout of zero would fail every try before it starts: at least 1 ms. */
function stepTimeoutMs(timeout: Duration, id: string): number {
  const ms = durationToMs(timeout, `step ${id} timeout`);
  if (ms < 1) throw new Error(`step ${id} timeout: it must be at least 1 ms`);
  return ms;
}

function awaitTransport(name: string | undefined, id: string): AwaitTransportName {
  if (name === undefined) return 'interaction-api';
  if (!TRANSPORT_NAME.test(name))
    throw new Error(`await step ${id}: transport '${name}' is not a valid name`);
  return name;
}

/** A budget admits at least one interaction, or nothing would ever go out. */
export function admissionBudget(admission: number | undefined, id: string): number | undefined {
  if (admission === undefined) return undefined;
  if (!Number.isSafeInteger(admission) || admission < 1)
    throw new Error(`await step ${id}: admission must be a whole number of at least 1`);
  return admission;
}

/**
 * Why a list of step kinds is not a pipeline shape Capstan runs, or undefined: an expand inside
 * an item continuation (no nesting), an aggregate with no expand before it, an expand or an
 * aggregate right after an expand (the items need a step of their own). `complete` also refuses
 * a pipeline that ends right after an expand. The contract check applies it to a release too.
 */
export function pipelineShapeProblem(
  steps: readonly { readonly kind: string; readonly id?: string; readonly stepId?: string }[],
  options: { complete: boolean },
): string | undefined {
  let expand: number | undefined;
  for (const [index, step] of steps.entries()) {
    const name = step.id ?? step.stepId ?? String(index);
    if (step.kind === 'expand' || step.kind === 'aggregate') {
      if (expand === index - 1 && expand !== undefined)
        return `step '${name}' follows an expand directly; an item continuation needs a step of its own`;
    }
    if (step.kind === 'expand') {
      if (expand !== undefined) return `expand step '${name}' is inside another expand's item continuation`;
      expand = index;
    } else if (step.kind === 'aggregate') {
      if (expand === undefined) return `aggregate step '${name}' has no expand before it`;
      expand = undefined;
    }
  }
  if (options.complete && expand !== undefined && expand === steps.length - 1)
    return `the pipeline ends with expand step '${steps[expand]?.id ?? steps[expand]?.stepId ?? expand}'; add a step for its items`;
  return undefined;
}

/** What every step that runs code takes besides its kind: DLQ routing, time bound, retry policy. */
function runOptions(
  id: string,
  options: { dlq?: boolean; timeout?: Duration; retry?: StepRetryOptions },
): { dlq: boolean; timeoutMs: number | undefined; retry: StepRetryPolicy | undefined } {
  return {
    dlq: options.dlq ?? true,
    timeoutMs: options.timeout === undefined ? undefined : stepTimeoutMs(options.timeout, id),
    retry: options.retry === undefined ? undefined : stepRetryPolicy(options.retry, id),
  };
}

const STEP_ID = /^[a-z0-9][a-z0-9._-]{0,127}$/i;

/**
 * A pipeline under construction. Each `step` or `await` returns a new builder whose next step
 * receives the previous step's output type, so a pipeline is typed end to end.
 */
export class PipelineBuilder<Current, Input = unknown> implements Pipeline {
  readonly kind = 'capstan.pipeline' as const;
  /** Type-only markers for `capstan/client` (`PipelineInput`/`PipelineOutput`): never set. */
  declare readonly inputType?: Input;
  declare readonly outputType?: Current;
  readonly id: string;
  readonly description: string | undefined;
  readonly input: z.ZodType;
  readonly steps: readonly PipelineStep[];

  constructor(id: string, description: string | undefined, input: z.ZodType, steps: readonly PipelineStep[]) {
    this.id = id;
    this.description = description;
    this.input = input;
    this.steps = steps;
  }

  step<Out extends z.ZodType>(
    id: string,
    options: StepOptions<Current, Out>,
  ): PipelineBuilder<z.output<Out>, Input> {
    const step: TaskStep = {
      kind: 'step',
      id,
      output: options.output,
      run: options.run as TaskStep['run'],
      ...runOptions(id, options),
    };
    return this.#with(step);
  }

  await<Res extends z.ZodType>(
    id: string,
    options: AwaitOptions<Current, Res>,
  ): PipelineBuilder<z.output<Res>, Input> {
    const step: AwaitStep = {
      kind: 'await',
      id,
      response: options.response,
      deadlineMs: durationToMs(options.deadline, `await step ${id} deadline`),
      transport: awaitTransport(options.transport, id),
      group: options.group,
      assignee: options.assignee,
      request: (options.request as AwaitStep['request'] | undefined) ?? ((input) => input),
      dlq: options.dlq ?? true,
      admission: admissionBudget(options.admission, id),
    };
    return this.#with(step);
  }

  /**
   * A 1→N step: `run` yields the items, each becomes a child execution that runs the following
   * steps (up to the next `aggregate`) on its own. No expand may follow inside that continuation.
   */
  expand<Item extends z.ZodType>(
    id: string,
    options: ExpandOptions<Current, Item>,
  ): PipelineBuilder<z.output<Item>, Input> {
    const step: ExpandStep = {
      kind: 'expand',
      id,
      item: options.item,
      run: options.run as ExpandStep['run'],
      ...runOptions(id, options),
    };
    return this.#with(step);
  }

  /** An N→1 step: runs once, after every item of the expansion before it is terminal. */
  aggregate<Out extends z.ZodType>(
    id: string,
    options: AggregateOptions<Current, Out>,
  ): PipelineBuilder<z.output<Out>, Input> {
    const step: AggregateStep = {
      kind: 'aggregate',
      id,
      output: options.output,
      run: options.run as AggregateStep['run'],
      ...runOptions(id, options),
    };
    return this.#with(step);
  }

  #with<Next>(step: PipelineStep): PipelineBuilder<Next, Input> {
    const shape = pipelineShapeProblem([...this.steps, step], { complete: false });
    if (shape) throw new Error(`pipeline ${this.id}: ${shape}`);
    if (!STEP_ID.test(step.id))
      throw new Error(`pipeline ${this.id}: step id '${step.id}' is not a valid id`);
    if (this.steps.some((s) => s.id === step.id))
      throw new Error(`pipeline ${this.id}: duplicate step id '${step.id}'`);
    return new PipelineBuilder<Next, Input>(this.id, this.description, this.input, [...this.steps, step]);
  }
}

/**
 * Starts a pipeline definition.
 *
 * ```ts
 * export default definePipeline({ id: 'greet', input: z.object({ name: z.string() }) })
 *   .step('hello', { output: z.string(), run: ({ name }) => `hello ${name}` });
 * ```
 */
export function definePipeline<Input extends z.ZodType>(spec: {
  id: string;
  input: Input;
  description?: string;
}): PipelineBuilder<z.output<Input>, z.input<Input>> {
  if (!STEP_ID.test(spec.id)) throw new Error(`pipeline id '${spec.id}' must match ${STEP_ID.source}`);
  return new PipelineBuilder(spec.id, spec.description, spec.input, []);
}

export function isPipeline(value: unknown): value is Pipeline {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { kind?: unknown }).kind === 'capstan.pipeline' &&
    Array.isArray((value as { steps?: unknown }).steps)
  );
}
