import type { ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import type { TestContext } from 'node:test';
import { spawnProcess, type SpawnedProcess } from './spawned-process.ts';

const ROOT = resolve(import.meta.dirname, '../..');

/** The shared secret of the REST worker protocol, on coordinators and workers alike. */
export const WORKER_SECRET = 'test-worker-secret-0123456789abcdef';
export const WORKER_TOKEN = 'test-worker-token-0123456789';

/** A coordinator's environment for remote workers: the secret, the worker token, no local worker. */
export const remoteCoordinatorEnv = (extra: Record<string, string> = {}): Record<string, string> => ({
  TEST_WORKER_SECRET: WORKER_SECRET,
  TEST_WORKER_TOKEN: WORKER_TOKEN,
  PIPELINE_ORCHESTRATOR_WORKER_REST_SHARED_SECRET_REF: 'env:TEST_WORKER_SECRET',
  PIPELINE_ORCHESTRATOR_WORKER_TOKEN_REF: 'env:TEST_WORKER_TOKEN',
  PIPELINE_ORCHESTRATOR_CONTROL_PLANE_REQUIRE_REMOTE_WORKER: 'true',
  ...extra,
});

export interface WorkerProcess {
  readonly baseUrl: string;
  readonly workerId: string;
  readonly child: ChildProcess;
  /** Everything the process printed so far. */
  output(): string;
  /** Signals the process group and resolves with the exit code (null when killed by a signal). */
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface WorkerProcessOptions {
  /** `--pipelines`: modules to host. */
  pipelines?: string[];
  /** More flags, e.g. `--release <pipelineId>@<version>` or `--artifact-digest <sha256:…>`. */
  args?: string[];
  coordinatorUrl?: string;
  nodeId?: string;
  env?: Record<string, string>;
}

function spawnWorker(options: WorkerProcessOptions): SpawnedProcess {
  const args = [
    join(ROOT, 'bin/capstan.mjs'),
    'worker',
    '--port',
    '0',
    '--host',
    '127.0.0.1',
    ...(options.pipelines ? ['--pipelines', ...options.pipelines] : []),
    ...(options.args ?? []),
    ...(options.coordinatorUrl ? ['--coordinator-url', options.coordinatorUrl] : []),
    ...(options.nodeId ? ['--node-id', options.nodeId] : []),
  ];
  return spawnProcess(process.execPath, args, {
    cwd: ROOT,
    env: {
      ...process.env,
      CAPSTAN_LOG_LEVEL: 'debug',
      TEST_WORKER_SECRET: WORKER_SECRET,
      PIPELINE_ORCHESTRATOR_WORKER_REST_SHARED_SECRET_REF: 'env:TEST_WORKER_SECRET',
      CAPSTAN_WORKER_TOKEN: WORKER_TOKEN,
      CAPSTAN_WORKER_HEARTBEAT_INTERVAL: 'PT1S',
      ...options.env,
    },
  });
}

/** Runs `capstan worker` expecting it to refuse to start: its exit code and everything it printed. */
export async function workerRefusal(
  options: WorkerProcessOptions,
): Promise<{ code: number | null; output: string }> {
  const worker = spawnWorker(options);
  const timer = setTimeout(() => void worker.kill('SIGKILL'), 30_000);
  const code = await worker.exited;
  clearTimeout(timer);
  return { code, output: worker.output() };
}

/**
 * Starts `capstan worker` as a real process on a free loopback port and waits for its banner.
 * With `coordinatorUrl` it registers there and heartbeats every second; its debug log has a
 * `transition` line per segment it ran.
 */
export async function startWorkerProcess(
  t: TestContext,
  options: WorkerProcessOptions,
): Promise<WorkerProcess> {
  const worker = spawnWorker(options);
  t.after(() => worker.kill('SIGKILL'));
  const [, workerId = '', baseUrl = ''] = await worker.waitFor(
    /worker (\S+) listening on (http:\/\/127\.0\.0\.1:\d+)/,
    'worker',
  );
  return { workerId, baseUrl, child: worker.child, output: worker.output, kill: worker.kill };
}

/**
 * Starts `capstan worker --pull <coordinatorUrl>` as a real process (no port: it serves
 * nothing) and waits for its banner. It registers with protocol `pull`, heartbeats every
 * second, and runs at most `slots` segments at once.
 */
export async function startPullWorkerProcess(
  t: TestContext,
  options: {
    coordinatorUrl: string;
    pipelines: string[];
    nodeId: string;
    slots?: number;
    env?: Record<string, string>;
  },
): Promise<WorkerProcess> {
  const worker = spawnProcess(
    process.execPath,
    [
      join(ROOT, 'bin/capstan.mjs'),
      'worker',
      '--pull',
      options.coordinatorUrl,
      '--pipelines',
      ...options.pipelines,
      '--node-id',
      options.nodeId,
      '--slots',
      String(options.slots ?? 1),
    ],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        CAPSTAN_LOG_LEVEL: 'debug',
        CAPSTAN_WORKER_TOKEN: WORKER_TOKEN,
        CAPSTAN_WORKER_HEARTBEAT_INTERVAL: 'PT1S',
        ...options.env,
      },
    },
  );
  t.after(() => worker.kill('SIGKILL'));
  const [, workerId = ''] = await worker.waitFor(/worker (\S+) pulling from /, 'pull worker');
  return { workerId, baseUrl: '', child: worker.child, output: worker.output, kill: worker.kill };
}
