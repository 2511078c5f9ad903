import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { resolveAccessTokens } from '../../src/config/access-tokens.ts';
import { ConfigError, loadConfig } from '../../src/config/load-config.ts';
import { resolveSecretRef } from '../../src/config/secret-ref.ts';
import { envNameOf } from '../../src/config/settings.ts';

test('every key is read from the environment by its upper-cased name; flags win over it', () => {
  assert.equal(envNameOf('pipeline.orchestrator.max-retries'), 'PIPELINE_ORCHESTRATOR_MAX_RETRIES');
  const { values, sources } = loadConfig({
    env: {
      PIPELINE_ORCHESTRATOR_MAX_RETRIES: '0',
      PIPELINE_ORCHESTRATOR_RETRY_DELAY: 'PT1S',
      PIPELINE_ORCHESTRATOR_CONTROL_PLANE_ADMIN_TOKEN_REF: 'env:OP',
      PORT: '9000',
      CAPSTAN_DATA_DIR: '/tmp/somewhere',
    },
    flags: { 'capstan.data-dir': '/tmp/flag' },
  });
  assert.equal(values['pipeline.orchestrator.max-retries'], 0);
  assert.equal(values['pipeline.orchestrator.retry-delay'], 'PT1S');
  assert.equal(values['pipeline.orchestrator.control-plane.admin-token-ref'], 'env:OP');
  assert.equal(values['capstan.port'], 9000, 'PORT is an alias of capstan.port');
  assert.equal(values['capstan.data-dir'], '/tmp/flag');
  assert.equal(sources['capstan.data-dir'], 'flag');
  assert.equal(values['pipeline.orchestrator.default-tenant'], 'default');
  assert.equal(loadConfig({ env: {} }).values['capstan.port'], 8080, 'the default port');
  assert.ok(Object.isFrozen(values));
});

test('every problem in a configuration is reported at once', () => {
  try {
    loadConfig({
      env: { PIPELINE_ORCHESTRATOR_MAX_RETRIES: '-1', PIPELINE_ORCHESTRATOR_RETRY_DELAY: '10 seconds' },
      flags: {
        'pipeline.orchestrator.no-such-key': 'x',
        'pipeline.orchestrator.admin.admin-token-ref': 'plain-secret',
      },
    });
    assert.fail('expected a ConfigError');
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    assert.equal(error.problems.length, 4, error.message);
    assert.match(error.message, /unknown setting 'pipeline.orchestrator.no-such-key'/);
    assert.match(error.message, /max-retries \(from env\)/);
    assert.match(error.message, /retry-delay .*ISO-8601/);
    assert.match(error.message, /admin-token-ref \(from flag\).*secret ref/);
  }
});

test('secret refs read env: and file: values; tokens are generated once and kept private', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'admin.token'), 'from-a-file\n');
  assert.equal(resolveSecretRef('env:X', { X: 'from-env' }), 'from-env');
  assert.equal(resolveSecretRef(`file:${join(dir, 'admin.token')}`), 'from-a-file');
  assert.throws(() => resolveSecretRef('env:MISSING', {}), /MISSING is not set/);
  assert.throws(() => resolveSecretRef('plain'), /must start with env: or file:/);

  const configured = resolveAccessTokens({
    operatorRef: 'env:OP',
    adminRef: `file:${join(dir, 'admin.token')}`,
    workerRef: 'env:WRK',
    dataDir: dir,
    env: { OP: 'op-token', WRK: 'worker-token' },
  });
  assert.deepEqual(configured, {
    operator: 'op-token',
    admin: 'from-a-file',
    worker: 'worker-token',
    generated: [],
  });

  const dataDir = join(dir, 'data');
  const generated = resolveAccessTokens({ operatorRef: undefined, adminRef: undefined, dataDir });
  assert.deepEqual(generated.generated, ['operator', 'admin', 'worker']);
  assert.equal(new Set([generated.operator, generated.admin, generated.worker]).size, 3);
  assert.equal(statSync(join(dataDir, 'tokens.json')).mode & 0o777, 0o600);
  const again = resolveAccessTokens({ operatorRef: undefined, adminRef: undefined, dataDir });
  assert.equal(again.operator, generated.operator, 'kept across restarts');
  assert.match(readFileSync(join(dataDir, 'tokens.json'), 'utf8'), new RegExp(generated.admin));
});
