import { InvalidArgumentError, type Command } from 'commander';
import type { MissedFirePolicy, Schedule } from '../../client/index.ts';
import { clientFrom, type ConnectionFlags } from '../connection.ts';
import { apiCommand } from '../api-command.ts';
import { jsonArgument } from '../arguments.ts';
import { print, renderFields, renderTable, time, type Column } from '../output.ts';

type Flags = ConnectionFlags & { json?: boolean };

/** `--missed-fire`: `skip`, `fire-once` (or `fire_once`), `catch-up:<n>`. */
export function missedFirePolicy(value: string): MissedFirePolicy {
  const text = value.trim().toLowerCase();
  if (text === 'skip') return 'skip';
  if (text === 'fire-once' || text === 'fire_once') return 'fire_once';
  const catchUp = /^catch[-_]?up:(\d+)$/.exec(text);
  if (catchUp) return { catchUp: { limit: Number(catchUp[1]) } };
  throw new InvalidArgumentError('expected skip, fire-once or catch-up:<n>.');
}

const policyText = (p: MissedFirePolicy): string =>
  typeof p === 'string' ? p.replace('_', '-') : `catch-up:${p.catchUp.limit}`;

const timing = (s: Schedule): string =>
  s.cron !== null ? `cron ${s.cron} (${s.timezone ?? 'UTC'})` : `every ${s.interval ?? '?'}`;

function scheduleFields(s: Schedule): string {
  return renderFields([
    ['schedule', s.scheduleId],
    ['pipeline', s.pipelineId],
    ['timing', timing(s)],
    ['missed fires', policyText(s.missedFirePolicy)],
    ['paused', s.paused],
    ['next fires', s.nextFireTimes.join(', ')],
    ['fired', s.firedCount],
    ['last fire', s.lastFire ? `${s.lastFire.slot} -> ${s.lastFire.executionId ?? '-'}` : null],
    ['last error', s.lastError ? `${s.lastError.code}: ${s.lastError.message}` : null],
    ['key prefix', s.idempotencyKeyPrefix],
    ['input', s.input],
    ['created', time(s.createdAtEpochMs)],
    ['updated', time(s.updatedAtEpochMs)],
  ]);
}

const columns: Column<Schedule>[] = [
  { header: 'schedule', value: (s) => s.scheduleId },
  { header: 'pipeline', value: (s) => s.pipelineId },
  { header: 'timing', value: timing },
  { header: 'missed', value: (s) => policyText(s.missedFirePolicy) },
  { header: 'paused', value: (s) => s.paused },
  { header: 'next fire', value: (s) => s.nextFireTimes[0] },
  { header: 'fired', value: (s) => s.firedCount },
  { header: 'last error', value: (s) => s.lastError?.code },
];

/**
 * `capstan schedule …` (alias `schedules`): create, list, show, pause, resume, delete (admin);
 * docs/schedules.md.
 */
export function scheduleCommands(program: Command): void {
  const schedule = program
    .command('schedule')
    .alias('schedules')
    .description('Cron and interval schedules of pipelines (admin)');

  apiCommand(schedule, 'create', 'Create a cron or interval schedule of a pipeline (admin)')
    .requiredOption('--pipeline <id>', 'pipeline id')
    .option(
      '--cron <expression>',
      "a cron expression: five fields, or six with seconds first ('*/5 * * * *')",
    )
    .option('--timezone <zone>', 'the IANA zone the cron expression is read in (default UTC)')
    .option('--interval <duration>', 'an ISO-8601 interval between slots, at least PT1S (PT10M)')
    .option('--input <json>', 'the input of every execution it starts')
    .option('--input-file <path>', 'the input, from a file (- for stdin)')
    .option(
      '--missed-fire <policy>',
      'what becomes of missed slots: skip (default), fire-once or catch-up:<n>',
      missedFirePolicy,
    )
    .option(
      '--key-prefix <prefix>',
      "the executions' idempotency keys are <prefix>:<slot> (default schedule:<id>)",
    )
    .option('--paused', 'create it paused')
    .action(
      async (
        options: Flags & {
          pipeline: string;
          cron?: string;
          timezone?: string;
          interval?: string;
          input?: string;
          inputFile?: string;
          missedFire?: MissedFirePolicy;
          keyPrefix?: string;
          paused?: boolean;
        },
        command: Command,
      ) => {
        if ((options.cron === undefined) === (options.interval === undefined))
          command.error('error: give exactly one of --cron <expression> or --interval <duration>');
        const input = await jsonArgument(command, 'input', options.input, options.inputFile);
        const created = await clientFrom(options).schedules.create(options.pipeline, {
          input,
          ...(options.cron === undefined ? {} : { cron: options.cron }),
          ...(options.timezone === undefined ? {} : { timezone: options.timezone }),
          ...(options.interval === undefined ? {} : { interval: options.interval }),
          ...(options.missedFire === undefined ? {} : { missedFirePolicy: options.missedFire }),
          ...(options.keyPrefix === undefined ? {} : { idempotencyKeyPrefix: options.keyPrefix }),
          ...(options.paused ? { paused: true } : {}),
        });
        print(options, created, () => scheduleFields(created));
      },
    );

  apiCommand(schedule, 'list', "List schedules with their next fire: a pipeline's, or the tenant's (admin)")
    .option('--pipeline <id>', 'only this pipeline (exit 3 when it is unknown)')
    .action(async (options: Flags & { pipeline?: string }) => {
      const rows = await clientFrom(options).schedules.list(options.pipeline);
      print(options, rows, () => renderTable(rows, columns));
    });

  apiCommand(schedule, 'show <scheduleId>', 'Show one schedule and its next three fire times (admin)').action(
    async (id: string, options: Flags) => {
      const s = await clientFrom(options).schedules.get(id);
      print(options, s, () => scheduleFields(s));
    },
  );

  for (const [verb, description] of [
    ['pause', 'Pause a schedule: no slot fires until it is resumed (admin)'],
    ['resume', 'Resume a schedule; its missed-fire policy decides which missed slots fire (admin)'],
    ['delete', 'Delete a schedule; the executions it started stay (admin)'],
  ] as const) {
    apiCommand(schedule, `${verb} <scheduleId>`, description).action(async (id: string, options: Flags) => {
      const s = await clientFrom(options).schedules[verb](id);
      print(options, s, () => scheduleFields(s));
    });
  }
}
