import type { Command } from 'commander';
import type { PipelineSummary } from '../../client/index.ts';
import { apiCommand } from '../api-command.ts';
import { clientFrom, type ConnectionFlags } from '../connection.ts';
import { print, renderTable, type Column } from '../output.ts';

const count = (status: keyof PipelineSummary['liveCounts']) => (p: PipelineSummary) =>
  p.liveCounts[status] ?? 0;

const columns: Column<PipelineSummary>[] = [
  { header: 'pipeline', value: (p) => p.pipelineId },
  { header: 'active release', value: (p) => p.activeReleaseVersion },
  { header: 'hosted', value: (p) => (p.activeReleaseVersion === null ? null : p.hosted ? 'yes' : 'no') },
  { header: 'releases', value: (p) => p.releaseCount },
  { header: 'queued', value: count('QUEUED') },
  { header: 'running', value: count('RUNNING') },
  { header: 'waiting', value: count('WAITING_EXTERNAL') },
  { header: 'retrying', value: count('WAIT_RETRY') },
  { header: 'dlq', value: count('DLQ') },
];

/** `capstan pipelines`: what is registered, the active release, whether it is hosted, live counts. */
export function pipelinesCommand(program: Command): void {
  apiCommand(
    program,
    'pipelines',
    'List the registered pipelines: active release, whether a worker hosts it, executions under way and in the DLQ',
  ).action(async (options: ConnectionFlags & { json?: boolean }) => {
    const rows = await clientFrom(options).pipelines();
    print(options, rows, () => renderTable(rows, columns));
  });
}
