import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { errorCatalog } from '../../src/errors/catalog.ts';
import { renderErrorDocs } from '../../src/errors/render-error-docs.ts';

test('docs/errors.md matches the error catalogue', () => {
  const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  assert.equal(doc, renderErrorDocs(), 'regenerate with: node --import tsx scripts/generate-error-docs.ts');
});

test('every catalogued error is a 4xx or 5xx with a snake_case code', () => {
  for (const [code, e] of Object.entries(errorCatalog)) {
    assert.match(code, /^[a-z]+(_[a-z]+)*$/);
    assert.ok(e.status >= 400 && e.status < 600, code);
  }
});
