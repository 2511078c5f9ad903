import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CapstanError } from '../../src/errors/catalog.ts';
import { readApplicationArchive } from '../../src/releases/application-archive.ts';
import { deterministicTgz } from '../../src/releases/artifact-bundle.ts';
import { canonicalJson, sha256Hex } from '../../src/util/canonical-json.ts';
import { nestsDeeperThan, textNestsDeeperThan } from '../../src/util/json-nesting.ts';

const nested = (depth: number): unknown => {
  let value: unknown = { type: 'string' };
  for (let i = 0; i < depth; i += 1) value = i % 2 === 0 ? { properties: { x: value } } : [value];
  return value;
};

test('nestsDeeperThan: counts arrays and objects, safe on any depth', () => {
  assert.equal(nestsDeeperThan('flat', 0), false);
  assert.equal(nestsDeeperThan({}, 0), true);
  assert.equal(nestsDeeperThan({ a: [1, { b: 2 }] }, 3), false);
  assert.equal(nestsDeeperThan({ a: [1, { b: 2 }] }, 2), true);
  assert.equal(nestsDeeperThan(nested(100_000), 256), true);
});

test('an intact contract nested 50,000 deep is release_invalid, not a stack overflow', async () => {
  const body = {
    schemaVersion: 1,
    pipelineId: 'deep',
    inputSchema: nested(50_000),
    steps: [],
    capabilities: { localTransitionExecution: true, transitionWorkerProtocols: ['local'] },
  };
  const contractHash = sha256Hex(canonicalJson(body));
  const contract = { ...body, contractHash, contractVersion: `sha256:${contractHash}` };
  const tgz = await deterministicTgz([
    { name: 'pipeline-contract.json', content: Buffer.from(canonicalJson(contract)) },
  ]);
  await assert.rejects(
    readApplicationArchive(tgz, 'deep'),
    (error: unknown) =>
      error instanceof CapstanError && error.code === 'release_invalid' && /nests deeper/.test(error.message),
  );
});

test('textNestsDeeperThan: counts brackets outside strings, agrees with the parsed value', () => {
  assert.equal(textNestsDeeperThan('{"a":[1,{"b":2}]}', 3), false);
  assert.equal(textNestsDeeperThan('{"a":[1,{"b":2}]}', 2), true);
  // Brackets inside strings, escaped quotes included, are text.
  assert.equal(textNestsDeeperThan('{"a":"[[[[\\"[[[["}', 1), false);
  assert.equal(textNestsDeeperThan(`${'['.repeat(100_000)}${']'.repeat(100_000)}`, 64), true);
  for (const value of [{ a: [[[]]] }, [{ x: { y: [1, '[', { z: '}' }] } }], 'plain', 3]) {
    const text = JSON.stringify(value);
    for (const max of [0, 1, 2, 3, 4, 5])
      assert.equal(textNestsDeeperThan(text, max), nestsDeeperThan(value, max), `${text} at ${max}`);
  }
});
