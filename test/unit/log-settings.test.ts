// How the log level and format are chosen: `--log-level` / `--log-format` flags over the
// environment over a config file's `capstan.log-level` / `capstan.log-format`.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { flagsOf } from '../../src/cli/command-options.ts';
import { buildProgram } from '../../src/cli/program.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { ConfigError } from '../../src/errors/config-error.ts';

test('the level and format come from the flags first, then the environment, then the file', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-log-settings-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'capstan.yaml');
  writeFileSync(file, 'capstan:\n  log-level: warn\n  log-format: pretty\n');

  const fromFile = loadConfig({ file, env: {} });
  assert.equal(fromFile.values['capstan.log-level'], 'warn');
  assert.equal(fromFile.values['capstan.log-format'], 'pretty');

  const fromEnv = loadConfig({ file, env: { CAPSTAN_LOG_LEVEL: 'error', CAPSTAN_LOG_FORMAT: 'json' } });
  assert.equal(fromEnv.values['capstan.log-level'], 'error');
  assert.equal(fromEnv.values['capstan.log-format'], 'json');

  const flags = flagsOf({ logLevel: 'debug', logFormat: 'auto' });
  const fromFlags = loadConfig({ file, env: { CAPSTAN_LOG_LEVEL: 'error' }, flags });
  assert.equal(fromFlags.values['capstan.log-level'], 'debug');
  assert.equal(fromFlags.sources['capstan.log-level'], 'flag');
  assert.equal(fromFlags.values['capstan.log-format'], 'auto');

  const defaults = loadConfig({ env: {} });
  assert.deepEqual(
    [defaults.values['capstan.log-level'], defaults.values['capstan.log-format']],
    ['info', 'auto'],
  );
});

test('an unknown level or format is a configuration error naming the key', () => {
  assert.throws(
    () => loadConfig({ env: {}, flags: flagsOf({ logLevel: 'loud', logFormat: 'xml' }) }),
    (error: unknown) =>
      error instanceof ConfigError &&
      /capstan\.log-level/.test(error.message) &&
      /capstan\.log-format/.test(error.message),
  );
});

test('serve and worker take --log-level and --log-format', () => {
  const program = buildProgram();
  for (const name of ['serve', 'worker']) {
    const help = program.commands.find((c) => c.name() === name)?.helpInformation() ?? '';
    assert.match(help, /--log-level <level>/, name);
    assert.match(help, /--log-format <format>/, name);
  }
});
