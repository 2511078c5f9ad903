import { Option, type Command } from 'commander';
import { clientFrom, type ConnectionFlags } from '../connection.ts';
import { apiCommand } from '../api-command.ts';
import { integer } from '../arguments.ts';
import { print, renderFields, time } from '../output.ts';

/** redrive (admin token), onto the pinned, the active or a named release (docs/dlq.md). */
export function adminCommands(program: Command): void {
  apiCommand(
    program,
    'redrive <executionId>',
    'Re-drive a DLQ execution (or a FAILED one with --allow-failed) back to QUEUED (admin)',
  )
    .option('--expected-version <n>', 'refuse (exit 4) unless the execution is at this version', integer)
    .option('--reason <reason>', 'why (recorded in the journal)')
    .option('--allow-failed', 'also re-drive a FAILED execution')
    .addOption(
      new Option(
        '--release <version>',
        'onto this release of the pipeline (same contract version)',
      ).conflicts('active'),
    )
    .option('--active', "onto the pipeline's active release (same contract version)")
    .action(
      async (
        id: string,
        options: ConnectionFlags & {
          json?: boolean;
          expectedVersion?: number;
          reason?: string;
          allowFailed?: boolean;
          release?: string;
          active?: boolean;
        },
      ) => {
        const r = await clientFrom(options).redrive(id, {
          expectedVersion: options.expectedVersion,
          reason: options.reason,
          allowFailed: options.allowFailed,
          // Without either, the pinned release (sent as nothing: any coordinator understands it).
          ...(options.release !== undefined
            ? { targetRelease: { releaseVersion: options.release } }
            : options.active
              ? { targetRelease: 'active' as const }
              : {}),
        });
        print(options, r, () =>
          renderFields([
            ['execution', r.executionId],
            ['status', `${r.previousStatus} -> ${r.status}`],
            ['pipeline', r.pipelineId],
            [
              'release',
              r.previousReleaseVersion === r.releaseVersion
                ? r.releaseVersion
                : `${r.previousReleaseVersion} -> ${r.releaseVersion}`,
            ],
            ['step', r.currentStepIndex],
            ['attempt', r.attempt],
            ['version', r.version],
            ['updated', time(r.updatedAtEpochMs)],
          ]),
        );
      },
    );
}
