import type { Command } from 'commander';
import { configOptions, type WorkerOptions } from '../command-options.ts';

export function workerCommand(program: Command): void {
  program
    .command('worker')
    .description(
      'Run a transition worker: host the given pipelines (or registered releases) behind the signed REST, gRPC and/or queue worker protocol, and register with a coordinator',
    )
    .option(...configOptions.config)
    .option('--port <port>', 'HTTP port of the worker protocol (env PORT)')
    .option(
      '--grpc-port <port>',
      'also serve the gRPC worker protocol on this port, and register over gRPC (needs worker.grpc.shared-secret-ref)',
    )
    .option(
      '--queue <broker>',
      'also consume segment requests from a broker queue (nats, rabbitmq or sqs), and register as a queue worker (needs worker.queue.shared-secret-ref; URLs from CAPSTAN_NATS_URL / CAPSTAN_AMQP_URL / CAPSTAN_SQS_ENDPOINT)',
    )
    .option('--queue-group <name>', 'the request queue to consume (worker.queue.group, default `default`)')
    .option('--host <host>', 'address to listen on')
    .option('--node-id <id>', 'this worker’s id (env CAPSTAN_NODE_ID; default <hostname>:<port>)')
    .option('--pipelines <module...>', 'pipeline modules or folders to host')
    .option(
      '--release <pipelineId@version...>',
      'host a release registered on the coordinator: its artifact is fetched from the artifact store (releases.storage.*) and verified',
    )
    .option(
      '--artifact-digest <sha256...>',
      'host the artifact stored under this digest, under its default release version',
    )
    .option(
      '--coordinator-url <url>',
      'register with this coordinator and heartbeat (env CAPSTAN_COORDINATOR_URL)',
    )
    .option(
      '--pull <url>',
      'pull segments from this coordinator (any node) instead of serving the worker protocol (env CAPSTAN_PULL_URL)',
    )
    .option('--slots <n>', 'with --pull: segments run at once (capstan.worker.pull-slots, default 4)')
    .option('--worker-token <token>', 'the coordinator’s worker-role token (env CAPSTAN_WORKER_TOKEN)')
    .option(...configOptions.logLevel)
    .option(...configOptions.logFormat)
    .option(...configOptions.tracing)
    .option(...configOptions.set)
    .action(async (options: WorkerOptions) => {
      // The worker's dependencies load only when it runs, so other commands start fast.
      const { runWorker } = await import('./run-worker.ts');
      await runWorker(options);
    });
}
