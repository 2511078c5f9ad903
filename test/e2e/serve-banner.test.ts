import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ADMIN_TOKEN, OPERATOR_TOKEN, startCoordinatorProcess } from '../support/coordinator-process.ts';

test('the start banner names configured tokens by their ref and shows a generated one only once', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'capstan-banner-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const adminFile = join(dataDir, 'admin.token');
  writeFileSync(adminFile, `${ADMIN_TOKEN}\n`);
  // Operator from env:, admin from file:, worker generated.
  const env = { PIPELINE_ORCHESTRATOR_ADMIN_ADMIN_TOKEN_REF: `file:${adminFile}` };

  const first = await startCoordinatorProcess(t, { dataDir, env });
  const workerToken = (JSON.parse(readFileSync(join(dataDir, 'tokens.json'), 'utf8')) as { worker: string })
    .worker;
  const banner = first.output();
  assert.ok(!banner.includes(OPERATOR_TOKEN), 'the env: token is not printed');
  assert.ok(!banner.includes(ADMIN_TOKEN), 'the file: token is not printed');
  assert.match(banner, /operator token {2}from env:TEST_OPERATOR_TOKEN/);
  assert.ok(banner.includes(`admin token     from file:${adminFile}`));
  assert.ok(banner.includes(`worker token    ${workerToken}`), 'a token generated at this start is shown');
  await first.kill('SIGTERM');

  const second = await startCoordinatorProcess(t, { dataDir, env });
  const again = second.output();
  assert.ok(!again.includes(workerToken), 'a token kept from an earlier start is not shown again');
  assert.ok(again.includes(`worker token    in ${join(dataDir, 'tokens.json')}`));
  assert.ok(!again.includes(OPERATOR_TOKEN) && !again.includes(ADMIN_TOKEN));
});
