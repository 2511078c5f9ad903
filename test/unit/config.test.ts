import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import { displayValue } from '../../src/cli/commands/config-print.ts';
import { defaultEngineConfig, engineConfigOf } from '../../src/config/engine-settings.ts';
import { DEFAULT_ACTIVE_RELEASE_TTL_MS } from '../../src/releases/release-catalog.ts';
import { DEFAULT_STEP_TIMEOUT_MS } from '../../src/segment/segment-runner.ts';
import { resolveAccessTokens } from '../../src/config/access-tokens.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { ConfigError } from '../../src/errors/config-error.ts';
import { redactUrl } from '../../src/config/redact.ts';
import { resolveSecretRef } from '../../src/config/secret-ref.ts';
import { envNameOf } from '../../src/config/settings.ts';
import { createCoordinator } from '../../src/coordinator/index.ts';
import { openStore, resolvePostgresUrl, storeLogFields } from '../../src/store/open-store.ts';
import { listMigrations as listPostgresMigrations } from '../../src/store/postgres/migrate.ts';
import { listMigrations as listSqliteMigrations } from '../../src/store/sqlite/migrate.ts';
import { postgresUrl } from '../support/postgres-server.ts';

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
    origins: {
      operator: { kind: 'ref', ref: 'env:OP' },
      admin: { kind: 'ref', ref: `file:${join(dir, 'admin.token')}` },
      worker: { kind: 'ref', ref: 'env:WRK' },
    },
  });

  const dataDir = join(dir, 'data');
  const generated = resolveAccessTokens({ operatorRef: undefined, adminRef: undefined, dataDir });
  assert.deepEqual(generated.generated, ['operator', 'admin', 'worker']);
  assert.equal(new Set([generated.operator, generated.admin, generated.worker]).size, 3);
  assert.equal(statSync(join(dataDir, 'tokens.json')).mode & 0o777, 0o600);
  const again = resolveAccessTokens({ operatorRef: undefined, adminRef: undefined, dataDir });
  assert.equal(again.operator, generated.operator, 'kept across restarts');
  assert.equal(generated.origins.operator.kind, 'generated-now');
  assert.equal(again.origins.operator.kind, 'stored', 'generated on the first start only');
  assert.match(readFileSync(join(dataDir, 'tokens.json'), 'utf8'), new RegExp(generated.admin));
});

const PG = 'pipeline.orchestrator.postgres';

test('state-provider postgres: url from the environment, schema, pool size, migrate-on-start, leader lease', () => {
  const defaults = loadConfig({ env: {} }).values;
  assert.equal(defaults['pipeline.orchestrator.state-provider'], 'sqlite');
  assert.equal(defaults[`${PG}.url`], undefined);
  assert.equal(defaults[`${PG}.schema`], 'capstan');
  assert.equal(defaults[`${PG}.pool-size`], 10);
  assert.equal(defaults[`${PG}.migrate-on-start`], true);
  assert.equal(defaults['pipeline.orchestrator.cluster.leader-lease'], 'PT15S');
  assert.equal(engineConfigOf(defaults, 'n1').leaderLeaseMs, 15_000);

  assert.equal(envNameOf(`${PG}.url`), 'PIPELINE_ORCHESTRATOR_POSTGRES_URL');
  const { values, sources } = loadConfig({
    env: {
      PIPELINE_ORCHESTRATOR_STATE_PROVIDER: 'postgres',
      PIPELINE_ORCHESTRATOR_POSTGRES_URL: 'postgres://ann:pw@db.internal:5433/capstan',
      PIPELINE_ORCHESTRATOR_POSTGRES_SCHEMA: 'tenant_a',
      PIPELINE_ORCHESTRATOR_POSTGRES_POOL_SIZE: '4',
      PIPELINE_ORCHESTRATOR_POSTGRES_MIGRATE_ON_START: 'false',
      PIPELINE_ORCHESTRATOR_CLUSTER_LEADER_LEASE: 'PT30S',
    },
  });
  assert.equal(values['pipeline.orchestrator.state-provider'], 'postgres');
  assert.equal(values[`${PG}.url`], 'postgres://ann:pw@db.internal:5433/capstan');
  assert.equal(sources[`${PG}.url`], 'env');
  assert.equal(values[`${PG}.schema`], 'tenant_a');
  assert.equal(values[`${PG}.pool-size`], 4);
  assert.equal(values[`${PG}.migrate-on-start`], false);
  assert.equal(engineConfigOf(values, 'n1').leaderLeaseMs, 30_000);
  assert.equal(resolvePostgresUrl(values, {}), 'postgres://ann:pw@db.internal:5433/capstan');
});

test('the engine defaults are the settings defaults: a library coordinator and `capstan serve` agree', () => {
  assert.deepEqual(defaultEngineConfig, engineConfigOf(loadConfig({ env: {} }).values, 'capstan-local'));
  // Components used without a configuration fall back to the same values.
  assert.equal(defaultEngineConfig.stepTimeoutMs, DEFAULT_STEP_TIMEOUT_MS);
  assert.equal(defaultEngineConfig.activeReleaseTtlMs, DEFAULT_ACTIVE_RELEASE_TTL_MS);
  assert.equal(defaultEngineConfig.jitter, 0.2);
  const { values } = loadConfig({ env: { PIPELINE_ORCHESTRATOR_RETRY_JITTER: '0' } });
  assert.equal(engineConfigOf(values, 'n1').jitter, 0, 'no jitter: retries exactly on the backoff curve');
  for (const bad of ['-0.1', '1.5', 'lots'])
    assert.throws(
      () => loadConfig({ env: { PIPELINE_ORCHESTRATOR_RETRY_JITTER: bad } }),
      (e: unknown) => e instanceof ConfigError && e.problems.some((p) => p.includes('retry-jitter')),
      bad,
    );
});

test('postgres.url may be a secret ref, resolved when the store opens; an unresolvable one is a ConfigError', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const flags = { 'pipeline.orchestrator.state-provider': 'postgres' };
  const fromEnvRef = loadConfig({ env: {}, flags: { ...flags, [`${PG}.url`]: 'env:DB_URL' } }).values;
  assert.equal(fromEnvRef[`${PG}.url`], 'env:DB_URL', 'kept as the ref');
  assert.equal(resolvePostgresUrl(fromEnvRef, { DB_URL: 'postgresql://u:p@h/d' }), 'postgresql://u:p@h/d');

  writeFileSync(join(dir, 'db-url'), 'postgres://u:from-file@h/d\n');
  const fromFileRef = loadConfig({
    env: {},
    flags: { ...flags, [`${PG}.url`]: `file:${join(dir, 'db-url')}` },
  });
  assert.equal(resolvePostgresUrl(fromFileRef.values, {}), 'postgres://u:from-file@h/d');

  assert.throws(
    () => resolvePostgresUrl(fromEnvRef, {}),
    (error: unknown) =>
      error instanceof ConfigError &&
      /postgres\.url: secret ref 'env:DB_URL'.*DB_URL is not set/.test(error.message),
  );
  // A ref to something that is no postgres URL: the message names the ref, never what it holds.
  assert.throws(
    () => resolvePostgresUrl(fromEnvRef, { DB_URL: 'mysql://u:do-not-echo@h/d' }),
    (error: unknown) =>
      error instanceof ConfigError &&
      /the value of env:DB_URL is not a postgres:\/\//.test(error.message) &&
      !error.message.includes('do-not-echo'),
  );
});

test('state-provider postgres without a url, a bad url or a bad schema name: ConfigErrors that echo no secret', () => {
  assert.throws(
    () => loadConfig({ env: { PIPELINE_ORCHESTRATOR_STATE_PROVIDER: 'postgres' } }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.problems.length, 1, error.message);
      assert.match(
        error.message,
        /state-provider=postgres \(from env\) needs pipeline\.orchestrator\.postgres\.url: set it, or PIPELINE_ORCHESTRATOR_POSTGRES_URL/,
      );
      return true;
    },
  );

  for (const schema of ['Capstan', '1st', 'a-b', 'x;drop', `s${'x'.repeat(63)}`, '']) {
    assert.throws(
      () => loadConfig({ env: {}, flags: { [`${PG}.schema`]: schema } }),
      /postgres\.schema \(from flag\): a PostgreSQL schema name/,
      schema,
    );
  }
  for (const schema of ['capstan', '_x', 'tenant_2', `s${'x'.repeat(62)}`])
    assert.equal(loadConfig({ env: {}, flags: { [`${PG}.schema`]: schema } }).values[`${PG}.schema`], schema);

  try {
    loadConfig({
      env: { PIPELINE_ORCHESTRATOR_POSTGRES_URL: 'mysql://u:do-not-echo@h/d' },
      flags: { 'pipeline.orchestrator.state-provider': 'postgres', [`${PG}.pool-size`]: '0' },
    });
    assert.fail('expected a ConfigError');
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    // The bad url is reported once, as itself, not again as "missing".
    assert.equal(error.problems.length, 2, error.message);
    assert.match(error.message, /postgres\.url \(from env\): a postgres:\/\/user:password@host/);
    assert.match(error.message, /postgres\.pool-size \(from flag\)/);
    assert.doesNotMatch(error.message, /do-not-echo/);
  }
  assert.throws(
    () => loadConfig({ env: { PIPELINE_ORCHESTRATOR_STATE_PROVIDER: 'dynamo' } }),
    /state-provider \(from env\)/,
  );
  assert.throws(
    () => loadConfig({ env: { PIPELINE_ORCHESTRATOR_CLUSTER_LEADER_LEASE: 'PT0.5S' } }),
    /leader-lease \(from env\): at least PT1S/,
  );
});

test('config print shows a postgres url with its password masked, and refs as they are', () => {
  const key = `${PG}.url`;
  assert.equal(
    displayValue(key, 'postgres://ann:hunter2@db:5432/capstan'),
    'postgres://ann:****@db:5432/capstan',
  );
  assert.equal(displayValue(key, 'postgres://ann@db/capstan'), 'postgres://ann@db/capstan', 'no password');
  assert.equal(
    displayValue(key, 'postgresql://db/capstan?sslmode=require&password=hunter2'),
    'postgresql://db/capstan?sslmode=require&password=****',
  );
  assert.equal(displayValue(key, 'env:DB_URL'), 'env:DB_URL');
  assert.equal(displayValue(key, 'file:/run/secrets/db-url'), 'file:/run/secrets/db-url');
  assert.equal(displayValue(key, undefined), undefined);
  assert.equal(redactUrl('not a url with hunter2'), '****', 'what does not parse is masked whole');
});

test('openStore opens the store state-provider names; start({ migrate: false }) refuses pending migrations', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const sqlite = await openStore(loadConfig({ env: {} }).values, { dataDir: dir, nowMs: () => 1 });
  t.after(() => sqlite.close());
  assert.equal(sqlite.dialect, 'sqlite');
  assert.ok(existsSync(join(dir, 'capstan.db')));
  assert.deepEqual(storeLogFields(sqlite), { store: 'sqlite', sqliteDriver: sqlite.driver });

  const all = listSqliteMigrations().map(({ version, name, compatibility }) => ({
    version,
    name,
    compatibility,
  }));
  assert.deepEqual(await sqlite.pendingMigrations(), all);
  const coordinator = createCoordinator({ store: sqlite });
  await assert.rejects(coordinator.start({ migrate: false }), (error: Error) => {
    assert.match(error.message, /not up to date: \d+ migration\(s\) pending \(001_initial\.sql, /);
    assert.match(error.message, /run `capstan migrate`/);
    return true;
  });
  assert.deepEqual(await sqlite.pendingMigrations(), all, 'nothing was applied');
  assert.deepEqual(
    await sqlite.migrate(),
    all.map((m) => m.version),
  );
  assert.deepEqual(await sqlite.migrate(), [], 'a second run applies nothing');
  assert.deepEqual(await sqlite.pendingMigrations(), []);
  await coordinator.start({ migrate: false });
  await coordinator.stop();

  const url = await postgresUrl();
  const schema = `capstan_cfg_${randomBytes(6).toString('hex')}`;
  const values = loadConfig({
    env: { DB_URL: url },
    flags: {
      'pipeline.orchestrator.state-provider': 'postgres',
      [`${PG}.url`]: 'env:DB_URL',
      [`${PG}.schema`]: schema,
      [`${PG}.pool-size`]: '2',
    },
  }).values;
  const postgres = await openStore(values, { dataDir: dir, env: { DB_URL: url } });
  t.after(async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  });
  assert.equal(postgres.dialect, 'postgres');
  assert.deepEqual(storeLogFields(postgres), { store: 'postgres', schema });
  try {
    const pending = await postgres.pendingMigrations();
    assert.deepEqual(
      pending,
      listPostgresMigrations().map(({ version, name, compatibility }) => ({ version, name, compatibility })),
      'a schema that does not exist has everything pending',
    );
    assert.deepEqual(
      await postgres.migrate(),
      pending.map((m) => m.version),
    );
    assert.deepEqual(await postgres.pendingMigrations(), []);
    assert.deepEqual(await postgres.migrate(), []);
  } finally {
    await postgres.close();
  }
});
