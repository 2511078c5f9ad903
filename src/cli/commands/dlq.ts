import type { Command } from 'commander';
import type { DlqEntry, DlqGroup, DlqReasonName } from '../../client/index.ts';
import { clientFrom, type ConnectionFlags } from '../connection.ts';
import { apiCommand } from '../api-command.ts';
import { integer } from '../arguments.ts';
import { print, renderTable, time, type Column } from '../output.ts';
import { stepLabel } from './executions.ts';

type Flags = ConnectionFlags & { json?: boolean };

const entryColumns: Column<DlqEntry>[] = [
  { header: 'execution', value: (e) => e.executionId },
  { header: 'pipeline', value: (e) => e.pipelineId },
  { header: 'release', value: (e) => e.releaseVersion },
  { header: 'step', value: (e) => stepLabel(e.stepIndex, e.stepId) },
  { header: 'reason', value: (e) => e.reason },
  { header: 'tries', value: (e) => e.attempts },
  { header: 'fingerprint', value: (e) => e.fingerprint },
  { header: 'dlq at', value: (e) => time(e.dlqAt) },
  {
    header: 'error',
    value: (e) => (e.errorCode ? `${e.errorCode}: ${e.errorMessage ?? ''}` : null),
    max: 60,
  },
];

const groupColumns: Column<DlqGroup>[] = [
  { header: 'fingerprint', value: (g) => g.fingerprint ?? '(none)' },
  { header: 'count', value: (g) => g.count },
  { header: 'pipeline', value: (g) => g.pipelineId },
  { header: 'step', value: (g) => g.stepId },
  { header: 'error', value: (g) => g.errorCode },
  { header: 'reason', value: (g) => g.reason },
  { header: 'first', value: (g) => time(g.firstAt) },
  { header: 'last', value: (g) => time(g.lastAt) },
  { header: 'sample', value: (g) => g.sampleExecutionId },
];

/** `capstan dlq list|groups` (admin token; docs/dlq.md). */
export function dlqCommands(program: Command): void {
  const dlq = program.command('dlq').description('List the DLQ and group it by failure fingerprint (admin)');
  apiCommand(dlq, 'list', 'List DLQ entries, newest first, with optional filters (admin)')
    .option('--pipeline <id>', 'only this pipeline')
    .option('--reason <reason>', 'only this DLQ reason (e.g. retry_exhausted)')
    .option('--fingerprint <fingerprint>', 'only this failure fingerprint')
    .option('--error-code <code>', 'only this error code')
    .option('--release <version>', 'only this release version')
    .option('--limit <n>', 'page size', integer)
    .option('--cursor <cursor>', 'the nextCursor of the previous page')
    .action(
      async (
        options: Flags & {
          pipeline?: string;
          reason?: string;
          fingerprint?: string;
          errorCode?: string;
          release?: string;
          limit?: number;
          cursor?: string;
        },
      ) => {
        const r = await clientFrom(options).dlq.list({
          pipelineId: options.pipeline,
          // Sent as given: the coordinator names a reason it does not know, and the allowed ones.
          reason: options.reason as DlqReasonName | undefined,
          fingerprint: options.fingerprint,
          errorCode: options.errorCode,
          releaseVersion: options.release,
          limit: options.limit,
          cursor: options.cursor,
        });
        print(options, r, () => {
          const table = renderTable(r.items, entryColumns);
          return r.nextCursor ? `${table}\n\nmore: --cursor ${r.nextCursor}` : table;
        });
      },
    );
  apiCommand(dlq, 'groups', 'Count DLQ entries by failure fingerprint, largest group first (admin)')
    .option('--pipeline <id>', 'only this pipeline')
    .option('--limit <n>', 'at most this many groups', integer)
    .action(async (options: Flags & { pipeline?: string; limit?: number }) => {
      const r = await clientFrom(options).dlq.groups({ pipelineId: options.pipeline, limit: options.limit });
      print(options, r, () => renderTable(r.groups, groupColumns));
    });
}
