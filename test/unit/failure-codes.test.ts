import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { dlqReasonSchema } from '../../src/api-schema/dlq.ts';
import { DlqReason } from '../../src/domain/execution-status.ts';
import { FailureCode } from '../../src/domain/failure-codes.ts';

// The failure codes Capstan records are named once, in the domain: a bare string elsewhere in
// src/ is a second spelling that can drift (a typo there is a code nobody matches).

const SRC = resolve(import.meta.dirname, '../../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

test('no stored failure code is spelled as a bare string outside the domain', () => {
  const strays: string[] = [];
  for (const file of sourceFiles(SRC)) {
    const where = relative(SRC, file);
    // The domain names its vocabularies (DLQ reasons share some words with failure codes);
    // comments may name a code in backticks. The wire schemas (zod only, they import nothing of
    // the domain) spell the DLQ reasons once more: the test below holds them equal.
    if (where.startsWith('domain/') || where === 'api-schema/dlq.ts') continue;
    const text = readFileSync(file, 'utf8');
    for (const code of Object.values(FailureCode))
      if (text.includes(`'${code}'`) || text.includes(`"${code}"`)) strays.push(`${where}: ${code}`);
  }
  assert.deepEqual(strays, []);
});

test('the failure codes keep the values already stored in journals and dead letters', () => {
  assert.deepEqual(FailureCode, {
    LEASE_EXPIRED: 'lease_expired',
    WORKER_UNREACHABLE: 'worker_unreachable',
    DISPATCH_REFUSED: 'dispatch_refused',
    WORKER_ERROR: 'worker_error',
    REMOTE_OUTCOME_UNKNOWN: 'REMOTE_OUTCOME_UNKNOWN',
    STEP_TIMEOUT: 'step_timeout',
    WORKER_RESULT_INVALID: 'worker_result_invalid',
    AWAIT_TIMEOUT: 'await_timeout',
    INPUT_INVALID: 'input_invalid',
    OUTPUT_INVALID: 'output_invalid',
    SCHEMA_VIOLATION: 'schema_violation',
    ITEMS_LIMIT_EXCEEDED: 'items_limit_exceeded',
  });
});

test("the wire's DLQ reasons are the domain's", () => {
  assert.deepEqual([...dlqReasonSchema.options].sort(), Object.values(DlqReason).sort());
});
