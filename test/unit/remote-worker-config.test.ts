import assert from 'node:assert/strict';
import { test } from 'node:test';
import { remoteWorkerSetup } from '../../src/config/remote-workers.ts';
import { restProtocolConfig } from '../../src/config/worker-rest-config.ts';
import { problemsOf, valuesOf } from '../support/config-problems.ts';

const P = 'PIPELINE_ORCHESTRATOR_';

test('REST protocol settings: TPF defaults, keys by id, every problem at once', () => {
  assert.equal(restProtocolConfig(valuesOf({}), {}), undefined, 'no secret, no REST');
  const env = {
    OLD: 'old-secret',
    NEW: 'new-secret',
    [`${P}WORKER_REST_SHARED_SECRET_REF`]: 'env:OLD',
    [`${P}WORKER_REST_SECRET_REFS`]: 'k2=env:NEW, k3=env:NEW',
    [`${P}WORKER_REST_SIGNING_KEY_ID`]: 'k2',
    [`${P}WORKER_REST_BASE_URL`]: 'http://w1:8181, https://w2',
  };
  const rest = restProtocolConfig(valuesOf(env), env);
  assert.ok(rest);
  assert.deepEqual(
    [rest.connectTimeoutMs, rest.requestTimeoutMs, rest.toleranceMs, rest.baseUrls],
    [2_000, 30_000, 120_000, ['http://w1:8181', 'https://w2']],
  );
  assert.equal(rest.keys.secretFor(undefined), 'old-secret');
  assert.deepEqual(rest.keys.signingKey(), { keyId: 'k2', secret: 'new-secret' });

  const broken = {
    [`${P}WORKER_REST_SECRET_REFS`]: 'k2=env:MISSING',
    [`${P}WORKER_REST_BASE_URL`]: 'http://w1',
  };
  assert.match(
    problemsOf(() => restProtocolConfig(valuesOf(broken), broken)),
    /MISSING is not set/,
  );
  const unsigned = { [`${P}WORKER_REST_BASE_URL`]: 'http://w1' };
  assert.match(
    problemsOf(() => restProtocolConfig(valuesOf(unsigned), unsigned)),
    /no .*shared-secret-ref/,
  );
  assert.match(
    problemsOf(() => valuesOf({ [`${P}WORKER_REST_SECRET_REFS`]: 'k2=plain-secret' })),
    /keyId=env:NAME or keyId=file:\/path/,
  );
  assert.match(
    problemsOf(() => valuesOf({ [`${P}WORKER_REST_BASE_URL`]: 'ftp://x' })),
    /http:\/\/ or https:\/\//,
  );
});

test('require-remote-worker refuses to start without a remote protocol, and disables the local worker', () => {
  const required = { [`${P}CONTROL_PLANE_REQUIRE_REMOTE_WORKER`]: 'true' };
  assert.match(
    problemsOf(() => remoteWorkerSetup(valuesOf(required), required)),
    /no remote worker protocol/,
  );
  const withSecret = { ...required, S: 'secret', [`${P}WORKER_REST_SHARED_SECRET_REF`]: 'env:S' };
  const setup = remoteWorkerSetup(valuesOf(withSecret), withSecret);
  assert.equal(setup.hostLocally, false);
  assert.deepEqual(setup.restWorkers?.baseUrls, []);
  assert.equal(remoteWorkerSetup(valuesOf({}), {}).hostLocally, true, 'one process by default');
  assert.equal(remoteWorkerSetup(valuesOf({}), {}).restWorkers, undefined);
  const onlyKeyed = { K: 'x', [`${P}WORKER_REST_SECRET_REFS`]: 'k2=env:K' };
  assert.match(
    problemsOf(() => remoteWorkerSetup(valuesOf(onlyKeyed), onlyKeyed)),
    /signs its calls/,
  );
});
