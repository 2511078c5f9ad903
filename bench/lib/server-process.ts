/**
 * `capstan serve` as a real process, as an operator runs it: the HTTP scenarios measure the
 * server a user deploys (its HTTP stack, its process), and its memory is its own, not the client's.
 */
import { join } from 'node:path';
import { startListening, type ListeningProcess } from './listening-process.ts';
import type { NodeRuntime } from './runtime.ts';
import type { StoreTarget } from './store-target.ts';

export const OPERATOR_TOKEN = 'bench-operator-token-0123456789';

export type ServerProcess = ListeningProcess;

export function startServer(
  runtime: NodeRuntime,
  target: StoreTarget,
  pipelines: readonly string[],
): Promise<ServerProcess> {
  const sets = Object.entries(target.settings).flatMap(([key, value]) => ['--set', `${key}=${value}`]);
  const args = [
    'serve',
    ...['--port', '0', '--host', '127.0.0.1', '--data-dir', target.dataDir],
    ...['--pipelines', ...pipelines.map((p) => join(runtime.root, p))],
    ...sets,
  ];
  const env = {
    BENCH_OPERATOR_TOKEN: OPERATOR_TOKEN,
    PIPELINE_ORCHESTRATOR_CONTROL_PLANE_ADMIN_TOKEN_REF: 'env:BENCH_OPERATOR_TOKEN',
    PIPELINE_ORCHESTRATOR_ADMIN_ADMIN_TOKEN_REF: 'env:BENCH_OPERATOR_TOKEN',
  };
  return startListening(runtime, args, env, /listening on (http:\/\/127\.0\.0\.1:\d+)/);
}
