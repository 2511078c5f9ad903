import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { jq } from '../support/jq-subset.ts';
import { runbookCommands, runRunbook } from '../support/runbook-blocks.ts';
import { expandWord, shellTokens } from '../support/shell-words.ts';

// The runbook runner reads a doc's blocks as a shell would: if it read them otherwise, a
// rehearsal could pass on a command an operator's shell runs differently.

const words = (line: string, vars: Record<string, string> = {}) =>
  shellTokens(line).map((t) => ('pipe' in t ? '|' : expandWord(t.word, vars)));

test('shell words: quotes, variables, joined parts, pipes', () => {
  assert.deepEqual(words(`a 'b c' "d $X" e@"$Y" '{"k":"'"$X"'"}'`, { X: 'x 1', Y: 'y' }), [
    'a',
    'b c',
    'd x 1',
    'e@y',
    '{"k":"x 1"}',
  ]);
  assert.deepEqual(words(`a "\${X}z" "q\\"\\$" | jq -r '.[] | .a'`, { X: 'x' }), [
    'a',
    'xz',
    'q"$',
    '|',
    'jq',
    '-r',
    '.[] | .a',
  ]);
  assert.throws(() => words('a $X'), /outside double quotes/);
  assert.throws(() => words('a "b'), /unclosed double quote/);
  assert.throws(() => words('a > f'), /`>`/);
  assert.throws(() => words('a "$X"'), /\$X is used but not set/);
});

test('the jq subset answers as jq does', () => {
  const input = JSON.stringify({
    items: [
      { executionId: 'e1', requestPayload: { orderId: 'o1' } },
      { executionId: 'e2', requestPayload: { orderId: 'o2' } },
    ],
    n: 3,
  });
  assert.equal(jq(['-r', '.items[0].executionId'], input), 'e1\n');
  assert.equal(jq(['.items[0].executionId'], input), '"e1"\n');
  assert.equal(jq(['-r', '.items[].executionId'], input), 'e1\ne2\n');
  assert.equal(jq(['-r', '.n'], input), '3\n');
  assert.equal(jq(['-r', '.missing'], input), 'null\n');
  assert.equal(
    jq(
      ['-r', '--arg', 'id', 'e2', '.items[] | select(.executionId == $id) | .requestPayload.orderId'],
      input,
    ),
    'o2\n',
  );
  assert.equal(jq(['-r', '.items[] | select(.executionId == "nope") | .executionId'], input), '');
  assert.throws(() => jq(['-r', '.items | length'], input), /not a path/);
  assert.throws(() => jq(['-r', '.n[]'], input), /cannot iterate/);
  assert.throws(() => jq(['-r', 'select(.a == $b)'], input), /\$b is not defined/);
});

test('a block runs line by line: captures feed later lines, here-documents go to stdin, anything else is refused', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-runbook-unit-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const doc = join(dir, 'doc.md');
  writeFileSync(
    doc,
    [
      '```sh rehearsal=flow',
      '# a comment',
      `ID=$(npx capstan submit --input '{"a": 1}' --json | jq -r .executionId)`,
      'npx capstan complete --for "$ID" \\',
      '  --response-file - <<EOF',
      '{"id": "$ID", "who": "${WHO}"}',
      'EOF',
      '```',
      '',
      '```sh rehearsal=plain',
      'npx capstan status "$ID"',
      '```',
      '',
      '```sh rehearsal=foreign',
      'curl http://example',
      '```',
    ].join('\n'),
  );
  const calls: { args: string[]; stdin?: string }[] = [];
  const vars: Record<string, string> = { WHO: 'ops' };
  const runs = await runRunbook(doc, 'flow', vars, async (args, stdin) => {
    calls.push({ args, stdin });
    return { code: 0, stdout: args[0] === 'submit' ? '{"executionId": "e-1"}\n' : 'ok\n', stderr: '' };
  });
  assert.equal(vars.ID, 'e-1');
  assert.deepEqual(calls, [
    { args: ['submit', '--input', '{"a": 1}', '--json'], stdin: undefined },
    { args: ['complete', '--for', 'e-1', '--response-file', '-'], stdin: '{"id": "e-1", "who": "ops"}\n' },
  ]);
  assert.equal(runs.length, 2);
  assert.deepEqual(runbookCommands(doc, 'plain', vars), [['status', 'e-1']]);
  assert.throws(() => runbookCommands(doc, 'foreign', vars), /must run `npx capstan …`/);
  assert.throws(() => runbookCommands(doc, 'nowhere', vars), /no block tagged rehearsal=nowhere/);
  // A failing line stops the block, as `set -e` would.
  await assert.rejects(
    runRunbook(doc, 'flow', { WHO: 'ops' }, () => Promise.resolve({ code: 7, stdout: '', stderr: 'down' })),
    /exited 7/,
  );
});
