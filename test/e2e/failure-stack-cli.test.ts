// As an operator meets a failing step: `capstan serve` logs JSON lifecycle lines on stdout (its
// banner is text on stderr), and `capstan status` shows where the step threw.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { ok, runCapstan } from '../support/cli-run.ts';
import { apiClient, OPERATOR_TOKEN, startCoordinatorProcess } from '../support/coordinator-process.ts';
import { eventually } from '../support/eventually.ts';

const ROOT = resolve(import.meta.dirname, '../..');

test('a failing step: its stack is shown by `capstan status`, its DLQ move logged as a JSON line', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-stack-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'refunds.ts');
  // A module of a project of the user's own, outside the clone: its imports name what they load.
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  writeFileSync(
    file,
    `import { z } from ${JSON.stringify(import.meta.resolve('zod'))};
import { definePipeline } from ${JSON.stringify(join(ROOT, 'src/sdk/index.ts'))};

function callBank(): never {
  throw Object.assign(new Error('bank said no'), { code: 'bank_refused' });
}

export default definePipeline({ id: 'refunds', input: z.object({ amount: z.number() }) })
  .step('refund', { output: z.number(), run: () => callBank() });
`,
  );
  const coordinator = await startCoordinatorProcess(t, {
    pipelines: [file],
    env: { PIPELINE_ORCHESTRATOR_MAX_RETRIES: '0' },
  });
  const api = apiClient(coordinator.baseUrl);
  const submitted = await api.submit({ pipelineId: 'refunds', input: { amount: 3 } });
  assert.equal(submitted.status, 200, JSON.stringify(submitted.body));
  const id = submitted.body.executionId as string;
  await eventually('the execution in the DLQ', async () =>
    (await api.status(id)).body.status === 'DLQ' ? true : undefined,
  );

  const env = { ...process.env, CAPSTAN_URL: coordinator.baseUrl, CAPSTAN_TOKEN: OPERATOR_TOKEN };
  const shown = ok(await runCapstan(env, ['status', id]));
  assert.match(shown, /^error\s+bank_refused: bank said no$/m);
  assert.match(
    shown,
    /\n\nstack of the failure\n {2}Error: bank said no\n {6}at callBank \(.*refunds\.ts:\d+:\d+\)/,
  );
  const asJson = JSON.parse(ok(await runCapstan(env, ['status', id, '--json']))) as { errorStack?: string };
  assert.match(asJson.errorStack ?? '', /^Error: bank said no\n\s+at callBank/);

  // stdout carries records only, one JSON object a line; the banner went to stderr.
  const records = coordinator
    .stdout()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  assert.match(coordinator.output(), /Capstan coordinator listening on http:/, 'the banner was printed');
  const moved = records.filter((r) => r.event === 'execution.moved_to_dlq' && r.executionId === id);
  assert.equal(moved.length, 1, 'logged once');
  assert.deepEqual(
    [moved[0]?.level, moved[0]?.pipelineId, moved[0]?.stepId, moved[0]?.reason, moved[0]?.errorCode],
    ['info', 'refunds', 'refund', 'retry_exhausted', 'bank_refused'],
  );
  assert.match(String(moved[0]?.time), /^\d{4}-\d\d-\d\dT/);
  assert.equal(records.filter((r) => r.event === 'execution.submitted' && r.executionId === id).length, 1);
  assert.ok(!records.some((r) => String(r.msg).includes('listening on')), 'the banner is not a log record');
});
