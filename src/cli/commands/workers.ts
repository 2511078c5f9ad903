import type { Command } from 'commander';
import type { Worker, WorkerRegistration } from '../../client/index.ts';
import { clientFrom, type ConnectionFlags } from '../connection.ts';
import { apiCommand } from '../api-command.ts';
import { print, renderFields, renderTable, time, type Column } from '../output.ts';

type Flags = ConnectionFlags & { json?: boolean; pipeline: string };

type WorkerRecord = Worker;

function workerFields(w: WorkerRecord): string {
  return renderFields([
    ['worker', w.workerId],
    ['state', w.state],
    ['pipeline', w.pipelineId],
    ['contract', w.contractVersion],
    ['release', w.releaseVersion],
    ['protocol', w.protocol],
    ['endpoint', w.endpoint],
    ['artifact', w.artifactId],
    ['digest', w.artifactDigest],
    ['registered', time(w.registeredAtEpochMs)],
    ['heartbeat', time(w.lastHeartbeatAtEpochMs)],
    ['draining', time(w.drainingSinceEpochMs)],
  ]);
}

const workerColumns: Column<WorkerRecord>[] = [
  { header: 'worker', value: (w) => w.workerId },
  { header: 'state', value: (w) => w.state },
  { header: 'release', value: (w) => w.releaseVersion },
  { header: 'protocol', value: (w) => w.protocol },
  { header: 'endpoint', value: (w) => w.endpoint },
  { header: 'heartbeat', value: (w) => time(w.lastHeartbeatAtEpochMs) },
];

const workerCommand = (parent: Command, nameAndArgs: string, description: string) =>
  apiCommand(parent, nameAndArgs, `${description} (admin)`).requiredOption('--pipeline <id>', 'pipeline id');

/** `capstan workers …`: register, heartbeat, drain, undrain, list (admin token). */
export function workerCommands(program: Command): void {
  const workers = program.command('workers').description('Register and manage remote workers (admin)');

  workerCommand(workers, 'register', 'Register (or re-register) a worker hosting a release')
    .requiredOption('--worker-id <id>', 'the worker’s stable id')
    .requiredOption('--contract-version <version>', 'the contract version it hosts (sha256:…)')
    .requiredOption('--release-version <version>', 'the release version it hosts')
    .requiredOption(
      '--protocol <protocol>',
      'how the coordinator reaches it: local, rest, grpc, queue, sqs or pull',
    )
    .requiredOption('--endpoint <url>', 'where the coordinator reaches it')
    .option('--artifact-id <id>', 'the artifact it runs')
    .option('--artifact-digest <digest>', 'that artifact’s digest (sha256:…)')
    .action(
      async (
        options: Flags & {
          workerId: string;
          contractVersion: string;
          releaseVersion: string;
          protocol: string;
          endpoint: string;
          artifactId?: string;
          artifactDigest?: string;
        },
      ) => {
        const w = await clientFrom(options).workers.register(options.pipeline, {
          workerId: options.workerId,
          contractVersion: options.contractVersion,
          releaseVersion: options.releaseVersion,
          // Checked by the coordinator, which names the protocols it accepts.
          protocol: options.protocol as WorkerRegistration['protocol'],
          endpoint: options.endpoint,
          artifactId: options.artifactId,
          artifactDigest: options.artifactDigest,
        });
        print(options, w, () => workerFields(w));
      },
    );

  const transitions = [
    ['heartbeat', 'Record a heartbeat from a worker'],
    ['drain', 'Drain a worker: it gets no new work'],
    ['undrain', 'Return a drained worker to service'],
  ] as const;
  for (const [verb, description] of transitions) {
    workerCommand(workers, `${verb} <workerId>`, description).action(
      async (workerId: string, options: Flags) => {
        const w = await clientFrom(options).workers[verb](options.pipeline, workerId);
        print(options, w, () => workerFields(w));
      },
    );
  }

  workerCommand(workers, 'list', "List a pipeline's workers")
    .option('--contract-version <version>', 'only workers hosting this contract version')
    .option('--release-version <version>', 'only workers hosting this release version')
    .action(async (options: Flags & { contractVersion?: string; releaseVersion?: string }) => {
      const rows = await clientFrom(options).workers.list(options.pipeline, {
        contractVersion: options.contractVersion,
        releaseVersion: options.releaseVersion,
      });
      print(options, rows, () => renderTable(rows, workerColumns));
    });
}
