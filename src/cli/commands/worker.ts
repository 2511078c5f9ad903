import type { Command } from 'commander';
import { configOptions } from './serve.ts';

export interface WorkerOptions {
  config?: string;
  port?: string;
  host?: string;
  nodeId?: string;
  pipelines: string[];
  coordinatorUrl?: string;
  workerToken?: string;
  set?: string[];
}

export function workerCommand(program: Command): void {
  program
    .command('worker')
    .description(
      'Run a transition worker: host the given pipelines behind the signed REST worker protocol, and register with a coordinator',
    )
    .option(...configOptions.config)
    .option('--port <port>', 'HTTP port of the worker protocol (env PORT)')
    .option('--host <host>', 'address to listen on')
    .option('--node-id <id>', 'this worker’s id (env CAPSTAN_NODE_ID; default <hostname>:<port>)')
    .requiredOption('--pipelines <module...>', 'pipeline modules or folders to host')
    .option(
      '--coordinator-url <url>',
      'register with this coordinator and heartbeat (env CAPSTAN_COORDINATOR_URL)',
    )
    .option('--worker-token <token>', 'the coordinator’s worker-role token (env CAPSTAN_WORKER_TOKEN)')
    .option(...configOptions.set)
    .action(async (options: WorkerOptions) => {
      // The worker's dependencies load only when it runs, so other commands start fast.
      const { runWorker } = await import('./run-worker.ts');
      await runWorker(options);
    });
}
