// As an operator schedules a pipeline: `capstan serve`, and `capstan schedule …` against it. A
// one-second interval schedule starts executions that run; show, list, pause, resume and
// delete answer as documented, and the CLI's exit codes tell refusals apart.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { ok, runCapstan } from '../support/cli-run.ts';
import {
  ADMIN_TOKEN,
  apiClient,
  OPERATOR_TOKEN,
  startCoordinatorProcess,
} from '../support/coordinator-process.ts';
import { eventually } from '../support/eventually.ts';

const ROOT = resolve(import.meta.dirname, '../..');

interface Schedule {
  scheduleId: string;
  paused: boolean;
  interval: string | null;
  nextFireTimes: string[];
  firedCount: number;
}

test('an interval schedule created with the CLI starts executions that run', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-schedules-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'heartbeat.ts');
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  writeFileSync(
    file,
    `import { z } from ${JSON.stringify(import.meta.resolve('zod'))};
import { definePipeline } from ${JSON.stringify(join(ROOT, 'src/sdk/index.ts'))};

export default definePipeline({ id: 'heartbeat', input: z.object({ n: z.number() }) })
  .step('beat', { output: z.number(), run: ({ n }) => n + 1 });
`,
  );
  const coordinator = await startCoordinatorProcess(t, { pipelines: [file] });
  const env = {
    ...process.env,
    CAPSTAN_URL: coordinator.baseUrl,
    CAPSTAN_TOKEN: OPERATOR_TOKEN,
    CAPSTAN_ADMIN_TOKEN: ADMIN_TOKEN,
  };
  const cli = (...args: string[]) => runCapstan(env, args);
  const json = async <T>(...args: string[]) => JSON.parse(ok(await cli(...args, '--json'))) as T;

  const created = await json<Schedule>(
    'schedule',
    'create',
    '--pipeline',
    'heartbeat',
    '--interval',
    'PT1S',
    '--input',
    '{"n":41}',
    '--missed-fire',
    'catch-up:5',
  );
  assert.equal(created.interval, 'PT1S');
  assert.equal(created.nextFireTimes.length, 3);
  const id = created.scheduleId;

  // Its executions run: each names the schedule and carries its input.
  const api = apiClient(coordinator.baseUrl);
  const succeeded = await eventually(
    'two scheduled executions succeeded',
    async () => {
      const page = await api.call(
        'GET',
        `/tpf/control-plane/tenants/default/executions?scheduleId=${id}&status=SUCCEEDED`,
      );
      return page.body.items.length >= 2
        ? (page.body.items as { executionId: string; scheduleId: string }[])
        : undefined;
    },
    { timeoutMs: 20_000 },
  );
  assert.ok(succeeded.every((x) => x.scheduleId === id));
  const result = await api.result(succeeded[0]?.executionId ?? '');
  assert.equal(result.body.result, 42);
  assert.match(
    ok(await cli('status', succeeded[0]?.executionId ?? '')),
    new RegExp(`^schedule\\s+${id}$`, 'm'),
  );
  assert.ok(JSON.parse(ok(await cli('list', '--schedule', id, '--json'))).items.length >= 2);

  const shown = ok(await cli('schedule', 'show', id));
  assert.match(shown, /^timing\s+every PT1S$/m);
  assert.match(shown, /^missed fires\s+catch-up:5$/m);
  assert.match(
    ok(await cli('schedule', 'list', '--pipeline', 'heartbeat')),
    new RegExp(`^${id}\\s+heartbeat\\s+every PT1S`, 'm'),
  );

  const paused = await json<Schedule>('schedule', 'pause', id);
  assert.deepEqual([paused.paused, paused.nextFireTimes], [true, []]);
  const resumed = await json<Schedule>('schedule', 'resume', id);
  assert.equal(resumed.paused, false);
  const deleted = await json<Schedule>('schedule', 'delete', id);
  assert.equal(deleted.scheduleId, id);

  // Refusals: an unknown schedule exits 3, a timing that cannot be exits 5, with the code.
  const missing = await cli('schedule', 'show', id);
  assert.equal(missing.code, 3, missing.stderr);
  assert.match(missing.stderr, /schedule_not_found/);
  const invalid = await cli(
    'schedule',
    'create',
    '--pipeline',
    'heartbeat',
    '--cron',
    '61 * * * *',
    '--input',
    '{"n":1}',
  );
  assert.equal(invalid.code, 5, invalid.stderr);
  assert.match(invalid.stderr, /schedule_invalid/);
  const unknown = await cli('schedule', 'list', '--pipeline', 'nope');
  assert.equal(unknown.code, 3, unknown.stderr);
  const usage = await cli('schedule', 'create', '--pipeline', 'heartbeat', '--input', '{}');
  assert.equal(usage.code, 2, 'neither --cron nor --interval is a usage error');
});
