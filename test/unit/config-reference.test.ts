import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  CONFIG_REFERENCE,
  renderConfigReference,
  settingDocs,
  undocumentedSettings,
} from '../../scripts/config-reference.ts';
import { settings } from '../../src/config/settings.ts';

const REGENERATE = 'regenerate with: node --import tsx scripts/config-reference.ts';

test('docs/configuration.md is the settings schema, rendered', () => {
  assert.equal(readFileSync(CONFIG_REFERENCE, 'utf8'), renderConfigReference(), REGENERATE);
});

test('every setting says what it does', () => {
  assert.deepEqual(undocumentedSettings(), [], 'write a /** doc comment */ above each of these keys');
});

test('the reference lists every key with its default and environment variable', () => {
  const page = readFileSync(CONFIG_REFERENCE, 'utf8');
  for (const key of Object.keys(settings)) {
    assert.ok(page.includes(`**\`${key}\`**`), `${key} is missing from the page`);
  }
  assert.match(
    page,
    /\*\*`capstan\.port`\*\* · default `8080` · an integer from 0 to 65535 · env `CAPSTAN_PORT`, `PORT`/,
  );
});

test('a key added without a doc comment is caught', () => {
  const source = readFileSync(new URL('../../src/config/settings.ts', import.meta.url), 'utf8');
  const docs = settingDocs(source.replace(/\/\*\* The HTTP API port[^\n]*\n/, ''));
  assert.deepEqual(undocumentedSettings(docs), ['capstan.port']);
  assert.notEqual(renderConfigReference(docs), renderConfigReference());
});
