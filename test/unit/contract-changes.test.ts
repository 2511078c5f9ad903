import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { contractChanges } from '../../src/releases/contract-changes.ts';
import { buildContract } from '../../src/releases/pipeline-contract.ts';
import { definePipeline } from '../../src/sdk/index.ts';

const Input = z.object({ n: z.number() });
const v1 = definePipeline({ id: 'p', input: Input })
  .step('a', { output: z.number(), run: ({ n }) => n })
  .await('ask', { response: z.object({ ok: z.boolean() }), deadline: 'PT1H' })
  .step('b', { output: z.boolean(), run: ({ ok }) => ok })
  .step('gone', { output: z.boolean(), run: (ok) => ok });

test('the contract changes a person reads: steps added, removed and changed, input and result schemas', () => {
  const before = buildContract(v1);
  assert.deepEqual(contractChanges(before, before), [], 'the same contract: nothing to say');
  assert.deepEqual(contractChanges(undefined, before), ['new pipeline: a → ask → b → gone']);

  const v2 = definePipeline({ id: 'p', input: Input.extend({ m: z.string() }) })
    .step('added', { output: z.number(), run: ({ n }) => n })
    .step('a', { output: z.string(), run: (n) => String(n) })
    .await('ask', { response: z.object({ ok: z.boolean() }), deadline: 'PT2H' })
    .step('b', { output: z.string(), run: ({ ok }) => String(ok) });
  assert.deepEqual(contractChanges(before, buildContract(v2)), [
    '~ input schema',
    '- step gone',
    '+ step added (step, position 0)',
    '~ step a: position 0 → 1, output schema',
    '~ step ask: position 1 → 2, await settings',
    '~ step b: position 2 → 3, output schema',
    '~ result schema (the last step’s output)',
  ]);
});
