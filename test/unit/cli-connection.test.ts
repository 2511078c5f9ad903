import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { resolveConnection } from '../../src/cli/connection.ts';
import { saveProfile } from '../../src/cli/profiles.ts';
import { CliError } from '../../src/errors/cli-error.ts';

// Where the CLI's URL and tokens come from: flag, environment, profile, a local coordinator's
// data directory, in that order; a profile's or a local directory's tokens never go elsewhere.

function sandbox(t: TestContext) {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-connection-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir);
  writeFileSync(
    join(dataDir, 'tokens.json'),
    JSON.stringify({ operator: 'op_local', admin: 'adm_local', worker: 'wrk_local' }),
  );
  const env = { XDG_CONFIG_HOME: join(dir, 'config'), CAPSTAN_DATA_DIR: dataDir };
  return { dir, dataDir, env };
}

test('a local coordinator: its tokens when none is given and the URL is loopback', (t) => {
  const { env, dataDir } = sandbox(t);
  const local = resolveConnection({}, env);
  assert.equal(local.url, 'http://127.0.0.1:8080');
  assert.deepEqual(
    [local.token, local.adminToken, local.workerToken],
    ['op_local', 'adm_local', 'wrk_local'],
  );
  assert.deepEqual(local.source, { kind: 'local', file: join(dataDir, 'tokens.json') });
  assert.equal(resolveConnection({ url: 'http://localhost:9999' }, env).token, 'op_local');

  const remote = resolveConnection({ url: 'https://capstan.example.com' }, env);
  assert.equal(remote.token, undefined, 'never sent to another host');
  assert.equal(remote.source.kind, 'none');

  const given = resolveConnection({ token: 'op_flag' }, env);
  assert.deepEqual(
    [given.token, given.adminToken],
    ['op_flag', undefined],
    'a given token: nothing else is mixed in',
  );
  assert.equal(resolveConnection({}, { ...env, CAPSTAN_TOKEN: 'op_env' }).token, 'op_env');
});

test('a profile: its URL, tenant and tokens, for its own URL only; flags and environment win', (t) => {
  const { env } = sandbox(t);
  saveProfile(
    'default',
    { url: 'https://a.example.com', token: 'op_a', adminToken: 'adm_a', tenant: 'acme' },
    env,
  );
  saveProfile('b', { url: 'https://b.example.com', token: 'op_b' }, env);

  const a = resolveConnection({}, env);
  assert.deepEqual(
    [a.url, a.tenant, a.token, a.adminToken],
    ['https://a.example.com', 'acme', 'op_a', 'adm_a'],
  );
  assert.equal(a.source.kind, 'profile');
  assert.equal(resolveConnection({ profile: 'b' }, env).token, 'op_b');
  assert.equal(resolveConnection({}, { ...env, CAPSTAN_PROFILE: 'b' }).url, 'https://b.example.com');
  assert.equal(resolveConnection({ tenant: 't2' }, env).tenant, 't2');
  assert.equal(resolveConnection({ url: 'https://a.example.com/' }, env).token, 'op_a', 'the same URL');
  const elsewhere = resolveConnection({ url: 'https://c.example.com' }, env);
  assert.equal(elsewhere.token, undefined, "a profile's tokens only go to its URL");
  assert.equal(resolveConnection({ token: 'op_flag' }, env).token, 'op_flag');

  assert.throws(
    () => resolveConnection({ profile: 'missing' }, env),
    (error: unknown) => error instanceof CliError && error.code === 'invalid_configuration',
  );
});

test('everything given: a broken profiles file is not read; otherwise it is a configuration error', (t) => {
  const { env } = sandbox(t);
  mkdirSync(join(env.XDG_CONFIG_HOME, 'capstan'), { recursive: true });
  writeFileSync(join(env.XDG_CONFIG_HOME, 'capstan', 'profiles.json'), '{not json');
  assert.equal(resolveConnection({ url: 'http://127.0.0.1:1', token: 'x' }, env).token, 'x');
  assert.throws(
    () => resolveConnection({}, env),
    (error: unknown) => error instanceof CliError && /not a valid profiles file/.test(error.message),
  );
});
