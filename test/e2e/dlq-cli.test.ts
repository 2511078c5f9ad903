// The DLQ from the command line, as an operator meets it: `capstan dlq groups` shows one cause,
// `capstan dlq list --fingerprint` its executions, and `capstan redrive --release` sends one onto
// the release with the fix, where it finishes. The real binary, over loopback HTTP, against a
// coordinator in this process whose clock the test drives.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import type { DlqGroups, DlqPage, Redriven } from '../../src/api-schema/index.ts';
import { hostLocalPipelines, LocalWorker } from '../../src/coordinator/index.ts';
import { definePipeline, NonRetryableError } from '../../src/sdk/index.ts';
import { apiServerOn } from '../support/api-server.ts';
import { ok, runCapstan } from '../support/cli-run.ts';
import { ADMIN_TOKEN, OPERATOR_TOKEN } from '../support/coordinator-process.ts';
import { startEngine } from '../support/engine-harness.ts';

const input = z.object({ order: z.number() });
const buggy = definePipeline({ id: 'pay', input }).step('charge', {
  output: z.number(),
  run: ({ order }) => {
    throw new NonRetryableError(`order ${order}: rate table missing`, { code: 'no_rate' });
  },
});
const fixed = definePipeline({ id: 'pay', input }).step('charge', {
  output: z.number(),
  run: ({ order }) => order * 2,
});

test('capstan dlq groups, dlq list and redrive --release', async (t) => {
  const worker = new LocalWorker('test-local');
  const engine = await startEngine(t, [buggy], {}, { worker });
  const { coordinator, time } = engine;
  for (const order of [1, 2]) await coordinator.submit('default', { pipelineId: 'pay', input: { order } });
  await coordinator.tick();
  await hostLocalPipelines(coordinator, worker, [{ pipeline: fixed, releaseVersion: 'fixed' }], {
    tenantId: 'default',
    nowMs: time.now(),
    activate: false,
  });
  const app = await apiServerOn(t, engine);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  const env = {
    ...process.env,
    CAPSTAN_URL: `http://127.0.0.1:${port}`,
    CAPSTAN_TOKEN: OPERATOR_TOKEN,
    CAPSTAN_ADMIN_TOKEN: ADMIN_TOKEN,
  };

  const table = ok(await runCapstan(env, ['dlq', 'groups']));
  assert.match(table, /^FINGERPRINT\s+COUNT\s+PIPELINE\s+STEP\s+ERROR\s+REASON/m);
  assert.match(table, /^[0-9a-f]{16}\s+2\s+pay\s+charge\s+no_rate\s+non_retryable\s/m);
  const { groups } = JSON.parse(ok(await runCapstan(env, ['dlq', 'groups', '--json']))) as DlqGroups;
  const fingerprint = groups[0]?.fingerprint ?? '';

  const page = JSON.parse(
    ok(await runCapstan(env, ['dlq', 'list', '--fingerprint', fingerprint, '--limit', '1', '--json'])),
  ) as DlqPage;
  assert.equal(page.items.length, 1);
  assert.ok(page.nextCursor, 'a full page says where the next starts');
  const id = page.items[0]?.executionId ?? '';

  const bad = await runCapstan(env, ['dlq', 'list', '--reason', 'sad']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /invalid_request/);

  const redriven = JSON.parse(
    ok(await runCapstan(env, ['redrive', id, '--release', 'fixed', '--reason', 'rates back', '--json'])),
  ) as Redriven;
  assert.deepEqual(
    [redriven.previousStatus, redriven.status, redriven.previousReleaseVersion, redriven.releaseVersion],
    ['DLQ', 'QUEUED', engine.releaseVersions.get('pay'), 'fixed'],
  );
  await coordinator.tick();
  const done = await coordinator.status('default', id);
  assert.deepEqual([done.status, done.releaseVersion], ['SUCCEEDED', 'fixed']);

  const both = await runCapstan(env, ['redrive', id, '--release', 'fixed', '--active']);
  assert.notEqual(both.code, 0, '--release and --active together are refused');
  assert.match(both.stderr, /cannot be used with/);
});
