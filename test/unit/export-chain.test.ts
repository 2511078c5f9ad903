import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChainWriter, GENESIS_HASH, chainHash, verifyChain } from '../../src/domain/export-chain.ts';

const exportOf = (events: unknown[]) => {
  const writer = new ChainWriter();
  return [...events.map((e) => writer.line(e)), writer.end()];
};

test('each hash covers the canonical event and the previous hash; key order does not matter', () => {
  const [first, second] = exportOf([{ b: 1, a: 2 }, { seq: 2 }]).map(
    (l) => JSON.parse(l) as { prevHash: string; hash: string },
  );
  assert.equal(first?.prevHash, GENESIS_HASH);
  assert.equal(first.hash, chainHash({ a: 2, b: 1 }, GENESIS_HASH));
  assert.equal(second?.prevHash, first.hash);
});

test('an intact export verifies; an empty one too', () => {
  const lines = exportOf([{ seq: 1 }, { seq: 2 }, { seq: 3 }]);
  assert.deepEqual(verifyChain(lines), { ok: true, events: 3, lastHash: JSON.parse(lines[3]!).hash });
  assert.equal(verifyChain([...lines, '']).ok, true, 'a final newline is not a line');
  assert.equal(verifyChain(exportOf([])).ok, true);
});

test('the first line out of the chain is named', () => {
  const lines = exportOf([{ seq: 1 }, { seq: 2 }, { seq: 3 }]);
  const at = (edited: string[]) => {
    const verdict = verifyChain(edited);
    return verdict.ok ? 'intact' : verdict.line;
  };
  assert.equal(at([lines[0]!, lines[1]!.replace('"seq":2', '"seq":9'), ...lines.slice(2)]), 2);
  assert.equal(at([lines[0]!, ...lines.slice(2)]), 2);
  assert.equal(at([lines[1]!, lines[0]!, ...lines.slice(2)]), 1);
  assert.equal(at([...lines.slice(0, 2), lines[1]!, ...lines.slice(2)]), 3);
  assert.equal(at(lines.slice(0, 3)), 4, 'the end line is missing');
  assert.equal(at([...lines, lines[3]!]), 5, 'nothing may follow the end line');
  assert.equal(at(['null']), 1);
});
