import assert from 'node:assert/strict';
import { test } from 'node:test';
import { remoteWorkerSetup } from '../../src/config/remote-workers.ts';
import { workerServers } from '../../src/config/worker-servers.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { grpcProtocolConfig } from '../../src/config/worker-grpc-config.ts';
import { problemsOf, valuesOf } from '../support/config-problems.ts';

const P = 'PIPELINE_ORCHESTRATOR_WORKER_GRPC_';

test('gRPC protocol settings from the environment: TPF defaults, endpoints, keys by id', () => {
  assert.equal(grpcProtocolConfig(valuesOf({}), {}), undefined, 'no secret, no gRPC');
  const env = {
    OLD: 'old-secret',
    NEW: 'new-secret',
    [`${P}SHARED_SECRET_REF`]: 'env:OLD',
    [`${P}SECRET_REFS`]: 'k2=env:NEW',
    [`${P}SIGNING_KEY_ID`]: 'k2',
    [`${P}ENDPOINT`]: 'w1:9090, 10.0.0.7:9191,[::1]:9000',
  };
  const grpc = grpcProtocolConfig(valuesOf(env), env);
  assert.ok(grpc);
  assert.deepEqual(
    [grpc.connectTimeoutMs, grpc.requestTimeoutMs, grpc.toleranceMs, grpc.maxInboundMessageBytes],
    [2_000, 30_000, 120_000, 4 * 1024 * 1024],
  );
  assert.deepEqual(grpc.endpoints, ['w1:9090', '10.0.0.7:9191', '[::1]:9000']);
  assert.equal(grpc.keys.secretFor(undefined), 'old-secret');
  assert.deepEqual(grpc.keys.signingKey(), { keyId: 'k2', secret: 'new-secret' });

  const tuned = {
    ...env,
    [`${P}REQUEST_TIMEOUT`]: 'PT5S',
    [`${P}MAX_INBOUND_MESSAGE_SIZE`]: '16777216',
    [`${P}SIGNATURE_TOLERANCE`]: 'PT1M',
  };
  const t = grpcProtocolConfig(valuesOf(tuned), tuned);
  assert.deepEqual(
    [t?.requestTimeoutMs, t?.maxInboundMessageBytes, t?.toleranceMs],
    [5_000, 16_777_216, 60_000],
  );
});

test('gRPC protocol problems, all at once: no secret for an endpoint, TLS, malformed values', () => {
  const unsigned = { [`${P}ENDPOINT`]: 'w1:9090', [`${P}PLAINTEXT`]: 'false' };
  const problems = problemsOf(() => grpcProtocolConfig(valuesOf(unsigned), unsigned));
  assert.match(problems, /grpc\.endpoint is set, but no .*grpc\.shared-secret-ref/);
  assert.match(
    problems,
    /plaintext=false: TLS for the gRPC worker protocol is not implemented \(grpc_tls_unsupported\)/,
  );
  const serving = { [`${P}SERVER_ENABLED`]: 'true' };
  assert.match(
    problemsOf(() => grpcProtocolConfig(valuesOf(serving), serving)),
    /server-enabled is set, but no/,
  );
  const missing = { [`${P}SHARED_SECRET_REF`]: 'env:MISSING' };
  assert.match(
    problemsOf(() => grpcProtocolConfig(valuesOf(missing), missing)),
    /MISSING is not set/,
  );
  assert.match(
    problemsOf(() => valuesOf({ [`${P}ENDPOINT`]: 'http://w1:9090' })),
    /host:port/,
  );
  assert.match(
    problemsOf(() => valuesOf({ [`${P}MAX_INBOUND_MESSAGE_SIZE`]: '10' })),
    /max-inbound-message-size/,
  );
});

test('a coordinator with only the gRPC secret needs no local worker and no REST', () => {
  const env = {
    S: 'secret',
    PIPELINE_ORCHESTRATOR_CONTROL_PLANE_REQUIRE_REMOTE_WORKER: 'true',
    [`${P}SHARED_SECRET_REF`]: 'env:S',
    [`${P}ENDPOINT`]: 'w1:9090',
  };
  const setup = remoteWorkerSetup(valuesOf(env), env);
  assert.equal(setup.hostLocally, false);
  assert.equal(setup.restWorkers, undefined);
  assert.deepEqual(setup.grpcWorkers?.endpoints, ['w1:9090']);
  const onlyKeyed = { K: 'x', [`${P}SECRET_REFS`]: 'k2=env:K' };
  assert.match(
    problemsOf(() => remoteWorkerSetup(valuesOf(onlyKeyed), onlyKeyed)),
    /worker\.grpc: the coordinator signs/,
  );
});

test('capstan worker: gRPC beside REST, or alone when only the gRPC secret is configured', () => {
  const serversOf = (env: Record<string, string>) => workerServers(loadConfig({ env }), env);
  const grpcOnly = { S: 'secret', [`${P}SHARED_SECRET_REF`]: 'env:S', [`${P}SERVER_ENABLED`]: 'true' };
  const alone = serversOf(grpcOnly);
  assert.equal(alone.rest, undefined);
  assert.equal(alone.grpc?.port, 9090);
  assert.ok(alone.keys, 'the gRPC keys sign the worker');

  const both = serversOf({
    ...grpcOnly,
    PIPELINE_ORCHESTRATOR_WORKER_REST_SHARED_SECRET_REF: 'env:S',
    CAPSTAN_WORKER_GRPC_PORT: '9191',
    CAPSTAN_WORKER_GRPC_ADVERTISED_ENDPOINT: 'worker-1.internal:9191',
  });
  assert.ok(both.rest);
  assert.deepEqual([both.grpc?.port, both.grpc?.advertisedEndpoint], [9191, 'worker-1.internal:9191']);

  assert.match(
    problemsOf(() => serversOf({ ...grpcOnly, PIPELINE_ORCHESTRATOR_WORKER_REST_SERVER_ENABLED: 'true' })),
    /needs pipeline\.orchestrator\.worker\.rest\.shared-secret-ref .* to serve REST/,
  );
  assert.match(
    problemsOf(() => serversOf({ PIPELINE_ORCHESTRATOR_WORKER_REST_SERVER_ENABLED: 'false' })),
    /no protocol to serve/,
  );
});
