/**
 * `capstan worker` as a real process: the signed REST worker protocol on a loopback port, not
 * registering anywhere (the coordinator lists it in `worker.rest.base-url` and probes it).
 */
import { join } from 'node:path';
import { startListening, type ListeningProcess } from './listening-process.ts';
import type { NodeRuntime } from './runtime.ts';

/** The REST protocol's shared secret, on the coordinator and the worker alike. */
export const WORKER_SECRET = 'bench-worker-secret-0123456789abcdef';
const SECRET_ENV = 'BENCH_WORKER_SECRET';

export type WorkerProcess = ListeningProcess;

export function startWorker(runtime: NodeRuntime, pipelines: readonly string[]): Promise<WorkerProcess> {
  const args = [
    'worker',
    ...['--port', '0', '--host', '127.0.0.1'],
    ...['--pipelines', ...pipelines.map((p) => join(runtime.root, p))],
  ];
  return startListening(
    runtime,
    args,
    {
      [SECRET_ENV]: WORKER_SECRET,
      PIPELINE_ORCHESTRATOR_WORKER_REST_SHARED_SECRET_REF: `env:${SECRET_ENV}`,
      CAPSTAN_LOG_LEVEL: 'warn',
    },
    /worker (\S+) listening on (http:\/\/127\.0\.0\.1:\d+)/,
  );
}

/** What a coordinator needs to call this worker: settings and the env its secret ref reads. */
export function remoteWorkerSettings(worker: WorkerProcess): {
  settings: Record<string, string>;
  env: Record<string, string>;
} {
  return {
    settings: {
      'pipeline.orchestrator.worker.rest.base-url': worker.baseUrl,
      'pipeline.orchestrator.worker.rest.shared-secret-ref': `env:${SECRET_ENV}`,
      'pipeline.orchestrator.control-plane.require-remote-worker': 'true',
    },
    env: { [SECRET_ENV]: WORKER_SECRET },
  };
}
