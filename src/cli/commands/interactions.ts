import type { Command } from 'commander';
import type { AwaitAdmission, Interaction } from '../../client/index.ts';
import { clientFrom, type ConnectionFlags } from '../connection.ts';
import { apiCommand } from '../api-command.ts';
import { integer, jsonArgument } from '../arguments.ts';
import { print, renderFields, renderTable, time, type Column } from '../output.ts';

type Flags = ConnectionFlags & { json?: boolean };

const pendingColumns: Column<Interaction>[] = [
  { header: 'interaction', value: (i) => i.interactionId },
  { header: 'execution', value: (i) => i.executionId },
  { header: 'step', value: (i) => i.stepId },
  { header: 'assignee', value: (i) => i.assignee },
  { header: 'group', value: (i) => i.group },
  { header: 'deadline', value: (i) => time(i.deadlineEpochMs) },
  { header: 'request', value: (i) => i.requestPayload, max: 100 },
];

const admissionColumns: Column<AwaitAdmission[number]>[] = [
  { header: 'pipeline', value: (a) => a.pipelineId },
  { header: 'step', value: (a) => a.stepId },
  { header: 'limit', value: (a) => a.limit },
  { header: 'outstanding', value: (a) => a.outstanding },
  { header: 'waiting', value: (a) => a.waiting },
];

/** pending, complete, awaits admission: the await inbox and its budgets (control plane, operator token). */
export function interactionCommands(program: Command): void {
  apiCommand(program, 'pending', 'List open interactions (the await inbox), oldest first')
    .option('--assignee <assignee>', 'only interactions assigned to this person')
    .option('--group <group>', 'only interactions for this group')
    .option('--step <stepId>', 'only interactions of this await step')
    .option('--limit <n>', 'at most n interactions (1..1000)', integer)
    .action(async (options: Flags & { assignee?: string; group?: string; step?: string; limit?: number }) => {
      const rows = await clientFrom(options).pendingInteractions({
        assignee: options.assignee,
        group: options.group,
        stepId: options.step,
        limit: options.limit,
      });
      print(options, rows, () => renderTable(rows, pendingColumns));
    });

  apiCommand(program, 'complete', 'Complete an open interaction with a response; its execution resumes')
    .requiredOption('--interaction <id>', 'the interactionId (from `capstan pending`)')
    .option('--response <json>', 'the response, as JSON')
    .option('--response-file <path>', 'a file holding the response as JSON (- for stdin)')
    .option('--key <idempotencyKey>', 'idempotency key for the completion')
    .option('--actor <actor>', 'who answers (recorded in the journal)')
    .action(
      async (
        options: Flags & {
          interaction: string;
          response?: string;
          responseFile?: string;
          key?: string;
          actor?: string;
        },
        command: Command,
      ) => {
        const response = await jsonArgument(command, 'response', options.response, options.responseFile);
        const r = await clientFrom(options).complete({
          interactionId: options.interaction,
          response,
          idempotencyKey: options.key,
          actor: options.actor,
        });
        print(options, r, () =>
          renderFields([
            ['interaction', r.interactionId],
            ['execution', r.executionId],
            ['step', r.stepId],
            ['status', r.status],
            ['duplicate', r.duplicate],
          ]),
        );
      },
    );

  const awaits = program.command('awaits').description('Await steps: their admission budgets');
  apiCommand(
    awaits,
    'admission',
    'Admission budgets of await steps: the limit, the requests outstanding and those waiting',
  ).action(async (options: Flags) => {
    const rows = await clientFrom(options).awaitAdmission();
    print(options, rows, () => renderTable(rows, admissionColumns));
  });
}
