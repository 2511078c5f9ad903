/**
 * What a pipeline definition says to the client: its id, and (as types only) the input it
 * takes and the result it gives. A `definePipeline(...)` builder is one (it carries both as
 * type markers); the client reads only `id`, so passing a definition runs none of its code.
 */
export interface PipelineRef<Input = unknown, Output = unknown> {
  readonly id: string;
  /** Type-only markers: never set at run time. */
  readonly inputType?: Input;
  readonly outputType?: Output;
}

/** The input a pipeline's `submit` accepts: its input schema's input type. */
export type PipelineInput<P> = P extends PipelineRef<infer I, unknown> ? I : unknown;

/**
 * A pipeline's result: its last step's output type, as JSON carries it back (a `Date` in an
 * output arrives as its ISO string).
 */
export type PipelineOutput<P> = P extends PipelineRef<unknown, infer O> ? O : unknown;
