// Where an await step's admission budget comes from: `await(…, { admission })` in the SDK,
// carried by the release contract (absent, the contract is as before); `capstan.awaits.admission`
// by step; TPF's `pipeline.await-admission.enabled` with `pipeline.max-concurrency` for every
// other await step. Malformed values are configuration errors, TPF's keys no longer warnings.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { z } from 'zod';
import { awaitAdmissionConfigOf } from '../../src/config/await-admission-config.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { ConfigError } from '../../src/errors/config-error.ts';
import { buildContract } from '../../src/releases/pipeline-contract.ts';
import { definePipeline } from '../../src/sdk/index.ts';

const withAwait = (admission?: number) =>
  definePipeline({ id: 'pay', input: z.object({ n: z.number() }) })
    .await('provider', {
      response: z.object({ ok: z.boolean() }),
      deadline: 'PT1M',
      transport: 'nats',
      ...(admission === undefined ? {} : { admission }),
    })
    .step('after', { output: z.boolean(), run: (r) => r.ok });

test('the SDK carries a budget into the contract, and leaves a contract without one unchanged', () => {
  const budgeted = buildContract(withAwait(250));
  assert.equal(budgeted.steps[0]?.await?.admission, 250);
  const plain = buildContract(withAwait());
  assert.equal(plain.steps[0]?.await && 'admission' in plain.steps[0].await, false);
  assert.notEqual(budgeted.contractVersion, plain.contractVersion, 'a budget is part of the contract');
  for (const bad of [0, -1, 1.5, Number.NaN])
    assert.throws(() => withAwait(bad), /admission must be a whole number of at least 1/);
});

function fileOf(t: TestContext, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-admission-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'capstan.properties');
  writeFileSync(path, text);
  return path;
}

test('capstan.awaits.admission sets budgets by step; TPF’s keys set the default budget', (t) => {
  const none = awaitAdmissionConfigOf(loadConfig({ env: {} }).values);
  assert.deepEqual([...none.budgets], []);
  assert.equal(none.defaultBudget, undefined);

  const fromEnv = awaitAdmissionConfigOf(
    loadConfig({ env: { CAPSTAN_AWAITS_ADMISSION: 'pay/provider=3, csv-payments/provider.v2=250' } }).values,
  );
  assert.deepEqual(
    [...fromEnv.budgets],
    [
      ['pay/provider', 3],
      ['csv-payments/provider.v2', 250],
    ],
  );

  const tpf = loadConfig({
    env: {},
    file: fileOf(t, 'pipeline.await-admission.enabled=true\npipeline.max-concurrency=25\n'),
  });
  assert.deepEqual(tpf.warnings, [], 'TPF’s admission keys are read, not ignored');
  assert.equal(awaitAdmissionConfigOf(tpf.values).defaultBudget, 25);
  // TPF's table name has no counterpart: the budget is in Capstan's own store.
  const table = loadConfig({ env: {}, file: fileOf(t, 'pipeline.await-admission.store=dynamo\n') });
  assert.equal(table.warnings.length, 1);
  assert.match(
    table.warnings[0] ?? '',
    /pipeline\.await-admission\.store.*a TPF setting Capstan does not implement/,
  );
  // Without the switch, max-concurrency alone sets nothing (as in TPF).
  const off = loadConfig({ env: {}, file: fileOf(t, 'pipeline.max-concurrency=25\n') });
  assert.equal(awaitAdmissionConfigOf(off.values).defaultBudget, undefined);
});

test('a malformed budget list or limit is a configuration error', () => {
  for (const env of [
    { CAPSTAN_AWAITS_ADMISSION: 'pay=3' },
    { CAPSTAN_AWAITS_ADMISSION: 'pay/provider=0' },
    { CAPSTAN_AWAITS_ADMISSION: 'pay/provider=many' },
    { PIPELINE_MAX_CONCURRENCY: '0' },
  ]) {
    assert.throws(
      () => loadConfig({ env }),
      (error: unknown) => error instanceof ConfigError,
      JSON.stringify(env),
    );
  }
});
