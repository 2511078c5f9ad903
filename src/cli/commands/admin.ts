import type { Command } from 'commander';
import { clientFrom, type ConnectionFlags } from '../connection.ts';
import { apiCommand } from '../api-command.ts';
import { integer } from '../arguments.ts';
import { print, renderFields, time } from '../output.ts';

/** redrive (admin token). */
export function adminCommands(program: Command): void {
  apiCommand(
    program,
    'redrive <executionId>',
    'Re-drive a DLQ execution (or a FAILED one with --allow-failed) back to QUEUED (admin)',
  )
    .option('--expected-version <n>', 'refuse (exit 4) unless the execution is at this version', integer)
    .option('--reason <reason>', 'why (recorded in the journal)')
    .option('--allow-failed', 'also re-drive a FAILED execution')
    .action(
      async (
        id: string,
        options: ConnectionFlags & {
          json?: boolean;
          expectedVersion?: number;
          reason?: string;
          allowFailed?: boolean;
        },
      ) => {
        const r = await clientFrom(options).redrive(id, {
          expectedVersion: options.expectedVersion,
          reason: options.reason,
          allowFailed: options.allowFailed,
        });
        print(options, r, () =>
          renderFields([
            ['execution', r.executionId],
            ['status', `${r.previousStatus} -> ${r.status}`],
            ['pipeline', r.pipelineId],
            ['release', r.releaseVersion],
            ['step', r.currentStepIndex],
            ['attempt', r.attempt],
            ['version', r.version],
            ['updated', time(r.updatedAtEpochMs)],
          ]),
        );
      },
    );
}
