// The shapes an itemised pipeline may take (docs/items.md), checked where a pipeline is defined,
// where its contract is built, and where a release archive's contract is read: no expand inside
// an item continuation, no aggregate without an expand, a step of its own for the items.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { CapstanError } from '../../src/errors/catalog.ts';
import { readApplicationArchive } from '../../src/releases/application-archive.ts';
import { deterministicTgz } from '../../src/releases/artifact-bundle.ts';
import { buildContract } from '../../src/releases/pipeline-contract.ts';
import { definePipeline } from '../../src/sdk/index.ts';
import { canonicalJson, sha256Hex } from '../../src/util/canonical-json.ts';

const start = () => definePipeline({ id: 'shapes', input: z.object({ n: z.number() }) });
const numbers = { item: z.number(), run: ({ n }: { n: number }) => [n, n + 1] };

test('definePipeline refuses an expand inside an item continuation and an aggregate without an expand', () => {
  const inItems = start()
    .expand('split', numbers)
    .step('double', { output: z.number(), run: (x) => x * 2 });
  assert.throws(
    () => inItems.expand('again', { item: z.number(), run: (x) => [x] }),
    /inside another expand/,
  );
  assert.throws(
    () => start().aggregate('sum', { output: z.number(), run: (items) => items.length }),
    /has no expand before it/,
  );
  assert.throws(
    () =>
      start()
        .expand('split', numbers)
        .aggregate('sum', { output: z.number(), run: (items) => items.length }),
    /needs a step of its own/,
  );
  // After an aggregate, a new expansion may start.
  const twice = inItems
    .aggregate('sum', { output: z.object({ n: z.number() }), run: (items) => ({ n: items.length }) })
    .expand('again', numbers)
    .step('echo', { output: z.number(), run: (x) => x });
  assert.deepEqual(
    buildContract(twice).steps.map((s) => s.kind),
    ['expand', 'step', 'aggregate', 'expand', 'step'],
  );
});

test('the contract names the item schema, and a pipeline ending at an expand is refused', () => {
  const contract = buildContract(
    start()
      .expand('split', numbers)
      .step('echo', { output: z.number(), run: (x) => x }),
  );
  assert.deepEqual(contract.steps[0]?.itemSchema, {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'number',
  });
  assert.throws(
    () => buildContract(start().expand('split', numbers)),
    (e: unknown) => e instanceof CapstanError && e.code === 'pipeline_shape_invalid' && e.status === 400,
  );
});

/** A release archive whose contract has these steps, hashed as a real one is. */
async function archiveWith(steps: { stepId: string; kind: string }[]) {
  const body = {
    schemaVersion: 1,
    pipelineId: 'shapes',
    inputSchema: {},
    steps: steps.map((s, index) => ({ index, cardinality: 'ONE_TO_ONE', ...s })),
    capabilities: { localTransitionExecution: true, transitionWorkerProtocols: ['local'] },
  };
  const contractHash = sha256Hex(canonicalJson(body));
  const contract = { ...body, contractHash, contractVersion: `sha256:${contractHash}` };
  return deterministicTgz([
    { name: 'pipeline-contract.json', content: Buffer.from(canonicalJson(contract)) },
  ]);
}

test('a release whose contract nests an expand is refused with pipeline_shape_invalid', async () => {
  const nested = await archiveWith([
    { stepId: 'split', kind: 'expand' },
    { stepId: 'work', kind: 'step' },
    { stepId: 'again', kind: 'expand' },
    { stepId: 'more', kind: 'step' },
  ]);
  await assert.rejects(
    readApplicationArchive(nested, 'nested'),
    (e: unknown) => e instanceof CapstanError && e.code === 'pipeline_shape_invalid',
  );
  const unknownKind = await archiveWith([{ stepId: 'later', kind: 'fan-in' }]);
  await assert.rejects(
    readApplicationArchive(unknownKind, 'newer'),
    (e: unknown) =>
      e instanceof CapstanError && e.code === 'release_invalid' && /unknown kind/.test(e.message),
  );
  const fine = await archiveWith([
    { stepId: 'split', kind: 'expand' },
    { stepId: 'work', kind: 'step' },
    { stepId: 'sum', kind: 'aggregate' },
  ]);
  assert.equal((await readApplicationArchive(fine, 'fine')).contract?.steps.length, 3);
});
