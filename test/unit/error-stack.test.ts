// How much of a failing step's stack is kept (the message and the first frames, within a size),
// and how it crosses the worker protocol.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_STACK_CHARS, MAX_STACK_FRAMES, truncateStack } from '../../src/domain/error-stack.ts';
import { resultEnvelopeSchema } from '../../src/worker-protocol/envelopes.ts';
import { decodeResult, encodeResult } from '../../src/worker-protocol/result-codec.ts';

const frames = (n: number, width = 20) =>
  Array.from({ length: n }, (_, i) => `    at step${i} (/app/${'x'.repeat(width)}.ts:${i}:1)`);

test('a short stack is kept as it is; nothing is no stack', () => {
  const stack = ['Error: boom', ...frames(3)].join('\n');
  assert.equal(truncateStack(stack), stack);
  assert.equal(truncateStack(undefined), undefined);
  assert.equal(truncateStack('  \n'), undefined);
  assert.equal(truncateStack(42), undefined);
});

test('past the frame limit the first frames are kept and the rest counted', () => {
  const kept = truncateStack(['Error: deep', ...frames(MAX_STACK_FRAMES + 7)].join('\n')) ?? '';
  const lines = kept.split('\n');
  assert.equal(lines[0], 'Error: deep');
  assert.equal(lines.filter((l) => l.startsWith('    at ')).length, MAX_STACK_FRAMES);
  assert.equal(lines.at(-1), '    ... 7 more frames');
});

test('a stack within the frame limit but too long is cut to the size limit, and says so', () => {
  const kept = truncateStack([`Error: ${'m'.repeat(10_000)}`, ...frames(2)].join('\n')) ?? '';
  assert.ok(kept.length <= MAX_STACK_CHARS, `${kept.length} characters`);
  assert.match(kept, /\n {4}\.\.\. \(cut\)$/);
});

test('a remote failure carries its stack across the wire, truncated again on arrival', () => {
  const stack = ['Error: remote boom', ...frames(MAX_STACK_FRAMES + 5)].join('\n');
  const failure = {
    failureClass: 'Error',
    code: 'boom',
    message: 'remote boom',
    nonRetryable: false,
    skipDlq: false,
  };
  const sent = encodeResult(
    { outcome: 'FAILED', stepIndex: 0, failure: { ...failure, stack } },
    { tenantId: 'default', executionId: 'e1', currentStepIndex: 0 },
    [],
  );
  const wire = JSON.parse(JSON.stringify(sent)) as unknown;
  const received = decodeResult(resultEnvelopeSchema.parse(wire));
  assert.equal(received.outcome, 'FAILED');
  if (received.outcome !== 'FAILED') return;
  assert.equal(received.failure.stack, truncateStack(stack));
  // A worker that sends none (TPF's, an older Capstan) is read as before.
  const bare = decodeResult(
    resultEnvelopeSchema.parse({
      outcome: 'FAILED',
      stepIndex: 0,
      failure: { failureClass: 'Error', message: 'x' },
    }),
  );
  assert.ok(bare.outcome === 'FAILED' && !('stack' in bare.failure));
});
