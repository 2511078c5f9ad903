/**
 * The Capstan worker SDK: what a user imports to write pipelines. It depends on zod only;
 * nothing here pulls in the coordinator or a database driver.
 */
export { definePipeline, isPipeline, PipelineBuilder } from './define-pipeline.ts';
export type {
  AwaitTransportName,
  Pipeline,
  PipelineStep,
  TaskStep,
  AwaitStep,
  StepOptions,
  AwaitOptions,
  ExpandStep,
  AggregateStep,
  ExpandOptions,
  AggregateOptions,
  ItemOutcome,
  ItemSource,
} from './define-pipeline.ts';
export type { StepContext } from './step-context.ts';
export type { StepRetryOptions, StepRetryPolicy } from './step-retry.ts';
export { NonRetryableError } from './errors.ts';
