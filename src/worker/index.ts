/**
 * The Capstan worker as a library (`capstan/worker`): host pipelines in your own process behind
 * the signed worker protocol, registered with a coordinator. It needs no database driver.
 *
 * ```ts
 * import { createWorker } from 'capstan/worker';
 * import pipeline from './pipeline.ts';
 *
 * const worker = await createWorker({
 *   pipelines: [{ pipeline, sourceFile: new URL('./pipeline.ts', import.meta.url).pathname }],
 *   rest: { port: 8181 },
 *   secret: process.env.CAPSTAN_WORKER_SECRET,
 *   coordinator: { url: 'http://127.0.0.1:8080', workerToken: process.env.CAPSTAN_WORKER_TOKEN ?? '' },
 * });
 * process.on('SIGTERM', () => void worker.stop());
 * ```
 *
 * With its `sourceFile`, a pipeline's release version is the one `capstan serve --pipelines` and
 * `capstan release build` derive from the same file, so the coordinator routes its executions here.
 */
export { createWorker } from './create-worker.ts';
export type { CapstanWorker, CreateWorkerOptions } from './create-worker.ts';
export type { WorkerRelease } from './hosted-releases.ts';
export type { LocalPipelineSource } from '../releases/load-pipelines.ts';
export { startTracing, type TracingOptions } from '../tracing/start-tracing.ts';
export type { Tracing } from '../tracing/tracing.ts';
