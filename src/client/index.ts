/**
 * `capstan/client`: a typed client of a Capstan coordinator's HTTP API (see docs/client.md).
 *
 * ```ts
 * import { createClient } from 'capstan/client';
 * import greet from './pipelines/greet.ts';
 *
 * const client = createClient({ url: 'http://127.0.0.1:8080', token: process.env.CAPSTAN_TOKEN });
 * const { output } = await client.pipeline(greet).run({ name: 'Ada' });
 * ```
 */
export { createClient, CapstanClient } from './client.ts';
export type { ClientOptions, SubmitOptions, CompleteRequest, RedriveOptions } from './client.ts';
export { CapstanApiError, CapstanConnectionError, CapstanExecutionError } from './errors.ts';
export type { ApiIssue, TokenRole } from './errors.ts';
export { DlqClient, type DlqFilter } from './dlq.ts';
export { ExecutionList } from './list-pages.ts';
export { TypedPipelineClient } from './pipeline-client.ts';
export type { PipelineInput, PipelineOutput, PipelineRef } from './pipeline-types.ts';
export { ReleasesClient, type ReleaseSource } from './releases.ts';
export { SchedulesClient, type ScheduleRequest } from './schedules.ts';
export { isTerminalStatus, SERVER_LONG_POLL_CAP_MS, type ResultOptions } from './result-wait.ts';
export type { RetryOptions } from './retry.ts';
export type { Answer, Query, RequestOptions } from './transport.ts';
export { TERMINAL_STATUSES } from './types.ts';
export type * from './types.ts';
export { WorkersClient } from './workers.ts';
