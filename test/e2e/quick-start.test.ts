import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { apiClient, startCoordinatorProcess } from '../support/coordinator-process.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);
const npx = (...args: string[]) => run('npx', ['capstan', ...args], { cwd: ROOT });

test('the README quick start: npm start with flags, generated tokens, restart, rebuild, release build', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'capstan-quick-start-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));

  const first = await startCoordinatorProcess(t, { npmStart: true, dataDir });
  const tokens = JSON.parse(readFileSync(join(dataDir, 'tokens.json'), 'utf8')) as {
    operator: string;
    admin: string;
  };
  assert.ok(
    first.output().includes(`operator token  ${tokens.operator}`),
    'the banner prints the generated token',
  );
  assert.ok(first.output().includes('curl -s -X POST'), 'the banner shows how to try it');
  const api = apiClient(first.baseUrl, tokens.operator);
  assert.equal((await apiClient(first.baseUrl, null).pending()).status, 401, 'never an open surface');
  const input = {
    requestId: '6f1c2a9e-3b4d-4e5f-8a7b-1c2d3e4f5a6b',
    customerName: 'Ada Lovelace',
    restaurantName: 'Cafe Capstan',
    items: '2x pasta',
    totalAmount: '27.50',
    currency: 'EUR',
  };
  const submitted = await api.submit({ pipelineId: 'restaurant-approval', idempotencyKey: 'order-1', input });
  assert.equal(submitted.status, 200, JSON.stringify(submitted.body));
  const executionId = submitted.body.executionId as string;
  assert.equal((await api.result(executionId)).body.status.status, 'WAITING_EXTERNAL');
  await first.kill('SIGTERM');
  assert.match(first.output(), /"signal":"SIGTERM".*"msg":"shutting down"/, 'SIGTERM stops it cleanly');

  const rebuilt = await npx('rebuild-projections', '--data-dir', dataDir);
  assert.match(rebuilt.stdout, /projections rebuilt/);

  const second = await startCoordinatorProcess(t, { npmStart: true, dataDir });
  const again = apiClient(second.baseUrl, tokens.operator);
  const status = await again.status(executionId);
  assert.equal(status.status, 200, 'the same token works after a restart');
  assert.equal(status.body.status, 'WAITING_EXTERNAL', 'the execution survived the restart and the rebuild');
  const [interaction] = (await again.pending()).body as {
    interactionId: string;
    requestPayload: { orderId: string };
  }[];
  assert.ok(interaction);
  const done = await again.complete({
    interactionId: interaction.interactionId,
    response: {
      accepted: {
        orderId: interaction.requestPayload.orderId,
        decidedAt: '2026-01-01T12:00:00Z',
        note: 'on it',
      },
    },
  });
  assert.equal(done.status, 200);
  const result = await again.result(executionId);
  assert.equal(result.body.result.outcome, 'APPROVED');

  // The release the coordinator pinned is the one `capstan release build` writes, byte for byte each time.
  const outA = join(dataDir, 'release-a');
  const outB = join(dataDir, 'release-b');
  const built = JSON.parse(
    (
      await npx(
        'release',
        'build',
        '--pipelines',
        'examples/restaurant-approval/pipeline.ts',
        '--out',
        outA,
        '--json',
      )
    ).stdout,
  ) as { releaseVersion: string }[];
  await npx('release', 'build', '--pipelines', 'examples/restaurant-approval', '--out', outB);
  assert.equal(built[0]?.releaseVersion, result.body.status.releaseVersion);
  for (const file of ['pipeline-contract.json', 'pipeline-release.json', 'restaurant-approval.tgz']) {
    assert.deepEqual(
      readFileSync(join(outA, 'restaurant-approval', file)),
      readFileSync(join(outB, 'restaurant-approval', file)),
      `${file} is byte-identical across builds`,
    );
  }
});
