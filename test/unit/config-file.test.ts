import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { displayValue } from '../../src/cli/commands/config-print.ts';
import { readConfigFile } from '../../src/config/config-file.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { ConfigError } from '../../src/errors/config-error.ts';

/** Writes `text` to a fresh temporary file named `name`, removed after the test. */
function fileOf(t: TestContext, name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-config-file-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function problemsOf(run: () => unknown): readonly string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return assert.fail('expected a ConfigError');
}

test('YAML: nested maps and dotted keys at any level name the same settings', (t) => {
  const path = fileOf(
    t,
    'capstan.yaml',
    [
      'capstan:',
      '  port: 9090',
      '  node-id: 7',
      'pipeline.orchestrator:',
      '  max-retries: 5',
      '  control-plane:',
      '    admin-token-ref: env:OP',
      '  tenancy.allowed-tenants: [acme, globex]',
      'pipeline:',
      '  orchestrator:',
      '    retry-delay: PT1S',
      'pipeline.orchestrator.strict-startup: true',
      'pipeline.orchestrator.default-tenant:',
      '',
    ].join('\n'),
  );
  const file = readConfigFile(path);
  assert.deepEqual(file.values, {
    'capstan.port': 9090,
    'capstan.node-id': 7,
    'pipeline.orchestrator.max-retries': 5,
    'pipeline.orchestrator.control-plane.admin-token-ref': 'env:OP',
    'pipeline.orchestrator.tenancy.allowed-tenants': 'acme,globex',
    'pipeline.orchestrator.retry-delay': 'PT1S',
    'pipeline.orchestrator.strict-startup': true,
  });
  assert.equal(file.lines['pipeline.orchestrator.max-retries'], 5);
  assert.deepEqual([file.warnings, file.problems], [[], []]);

  const { values, sources, warnings } = loadConfig({ file: path, env: {} });
  assert.equal(values['capstan.port'], 9090);
  assert.equal(values['capstan.node-id'], '7', 'a YAML number is taken as text by a text setting');
  assert.equal(values['pipeline.orchestrator.max-retries'], 5);
  assert.equal(values['pipeline.orchestrator.strict-startup'], true);
  assert.equal(values['pipeline.orchestrator.default-tenant'], 'default', 'an empty value is unset');
  assert.equal(sources['pipeline.orchestrator.retry-delay'], 'file');
  assert.equal(sources['pipeline.orchestrator.default-tenant'], 'default');
  assert.deepEqual(warnings, []);
  assert.ok(Object.isFrozen(warnings));
});

test('properties: separators, comments, continuations, escapes, CRLF and trailing whitespace', (t) => {
  const path = fileOf(
    t,
    'capstan.properties',
    [
      '# a comment',
      '! another comment, and the next line is blank but for spaces',
      '   ',
      'pipeline.orchestrator.max-retries = 4   ',
      'pipeline.orchestrator.retry-delay: PT2S',
      'capstan.data-dir /tmp/space separated',
      '# a comment ending in a backslash does not continue \\',
      'pipeline.orchestrator.tenancy.allowed-tenants = acme, \\',
      '    globex,\\  ',
      '    initech',
      'pipeline.orchestrator.default-tenant=a\\=b\\:c\\\\d\\te\\nf\\u00e9',
      'pipeline.orchestrator.lease\\-ms=1000',
      'capstan.node-id=ends-in-a-backslash\\\\',
      'pipeline.orchestrator.sweep-limit=1',
      'pipeline.orchestrator.sweep-limit=2',
    ].join('\r\n'),
  );
  const { values, warnings, problems } = readConfigFile(path);
  assert.deepEqual(values, {
    'pipeline.orchestrator.max-retries': '4',
    'pipeline.orchestrator.retry-delay': 'PT2S',
    'capstan.data-dir': '/tmp/space separated',
    'pipeline.orchestrator.tenancy.allowed-tenants': 'acme, globex,initech',
    'pipeline.orchestrator.default-tenant': 'a=b:c\\d\te\nfé',
    'pipeline.orchestrator.lease-ms': '1000',
    'capstan.node-id': 'ends-in-a-backslash\\',
    'pipeline.orchestrator.sweep-limit': '2',
  });
  assert.deepEqual([warnings, problems], [[], []]);
  assert.equal(loadConfig({ file: path, env: {} }).values['pipeline.orchestrator.max-retries'], 4);

  const bad = fileOf(t, 'bad.properties', 'capstan.host=ok\ncapstan.node-id=\\u12\n');
  assert.match(problemsOf(() => readConfigFile(bad)).join('\n'), /bad\.properties:2: malformed \\uXXXX/);
});

test('a TPF application.properties loads verbatim: keys Capstan does not use are warnings, not errors', (t) => {
  const path = fileOf(
    t,
    'application.properties',
    [
      'quarkus.http.port=8080',
      '%dev.quarkus.log.level=DEBUG',
      'pipeline.orchestrator.mode=QUEUE_ASYNC',
      'pipeline.orchestrator.strict-startup=false',
      'pipeline.orchestrator.max-retries=2',
      'pipeline.orchestrator.dynamo.execution-table=tpf_execution',
      'pipeline.orchestrator.dynamo.region=eu-west-1',
      'pipeline.orchestrator.sqs.local-loopback=true',
      'pipeline.orchestrator.worker.sqs.request-queue-url=http://sqs/requests',
      'pipeline.orchestrator.resume-token-secret=do-not-echo-me',
      'pipeline.orchestrator.admin.admin-token=do-not-echo-me-either',
      'pipeline.orchestrator.admin.admin-token-ref=env:ADMIN',
    ].join('\n'),
  );
  const { values, sources, warnings } = loadConfig({ file: path, env: {} });
  assert.equal(values['pipeline.orchestrator.max-retries'], 2);
  assert.equal(values['pipeline.orchestrator.admin.admin-token-ref'], 'env:ADMIN');
  assert.equal(sources['pipeline.orchestrator.mode'], 'file');
  assert.equal(warnings.length, 8, warnings.join('\n'));
  for (const key of [
    'quarkus.http.port',
    '%dev.quarkus.log.level',
    'pipeline.orchestrator.dynamo.execution-table',
    'pipeline.orchestrator.dynamo.region',
    'pipeline.orchestrator.sqs.local-loopback',
    'pipeline.orchestrator.worker.sqs.request-queue-url',
    'pipeline.orchestrator.resume-token-secret',
  ]) {
    assert.ok(
      warnings.some((w) => w.startsWith(`ignored setting '${key}' (from file ${path}:`)),
      `${key}: ${warnings.join('\n')}`,
    );
  }
  assert.match(warnings.join('\n'), /admin\.admin-token' .*by reference only; set .*admin-token-ref/);
  assert.doesNotMatch(warnings.join('\n'), /do-not-echo-me/, 'values are never echoed');

  // In Capstan's own namespaces an unknown key is a typo, so an error.
  const typos = fileOf(t, 'typos.yaml', 'pipeline.orchestrator.max-retrys: 2\ncapstan:\n  prot: 1\n');
  assert.deepEqual(
    problemsOf(() => loadConfig({ file: typos, env: {} })),
    [
      `unknown setting 'pipeline.orchestrator.max-retrys' (from file ${typos}:1)`,
      `unknown setting 'capstan.prot' (from file ${typos}:3)`,
    ],
  );
});

test('precedence: defaults, then the file, then the environment, then flags', (t) => {
  const path = fileOf(
    t,
    'capstan.yml',
    'pipeline.orchestrator:\n  max-retries: 1\n  lease-ms: 1000\n  sweep-limit: 10\n',
  );
  const { values, sources } = loadConfig({
    file: path,
    env: { PIPELINE_ORCHESTRATOR_LEASE_MS: '2000', PIPELINE_ORCHESTRATOR_SWEEP_LIMIT: '20' },
    flags: { 'pipeline.orchestrator.sweep-limit': '30' },
  });
  const keys = [
    'pipeline.orchestrator.max-retries',
    'pipeline.orchestrator.lease-ms',
    'pipeline.orchestrator.sweep-limit',
    'pipeline.orchestrator.execution-ttl-days',
  ] as const;
  assert.deepEqual(
    keys.map((key) => [values[key], sources[key]]),
    [
      [1, 'file'],
      [2000, 'env'],
      [30, 'flag'],
      [7, 'default'],
    ],
  );
  // CAPSTAN_CONFIG names the file when no path is given.
  const fromEnv = loadConfig({ env: { CAPSTAN_CONFIG: path } });
  assert.equal(fromEnv.values['pipeline.orchestrator.max-retries'], 1);
  assert.equal(fromEnv.sources['pipeline.orchestrator.max-retries'], 'file');
  assert.equal(
    loadConfig({ env: { CAPSTAN_CONFIG: '' } }).sources['pipeline.orchestrator.max-retries'],
    'default',
  );
});

test('every problem from the file, the environment and flags is reported together', (t) => {
  const path = fileOf(
    t,
    'capstan.yaml',
    'capstan.prot: 1\npipeline.orchestrator:\n  max-retries: -1\n  strict-startup: maybe\n',
  );
  const problems = problemsOf(() =>
    loadConfig({
      file: path,
      env: { PIPELINE_ORCHESTRATOR_RETRY_DELAY: '10 seconds' },
      flags: { 'capstan.nope': 'x', 'pipeline.orchestrator.sweep-limit': '0' },
    }),
  );
  assert.equal(problems.length, 6, problems.join('\n'));
  const all = problems.join('\n');
  assert.match(all, new RegExp(`unknown setting 'capstan.prot' \\(from file ${path}:1\\)`));
  assert.match(all, new RegExp(`max-retries \\(from file ${path}:3\\): Too small`));
  assert.match(all, new RegExp(`strict-startup \\(from file ${path}:4\\)`));
  assert.match(all, /retry-delay \(from env\): .*ISO-8601/);
  assert.match(all, /unknown setting 'capstan.nope'/);
  assert.match(all, /sweep-limit \(from flag\)/);
});

test('a malformed, missing or unsupported file is a ConfigError naming the file', (t) => {
  const malformed = fileOf(t, 'broken.yaml', 'pipeline:\n  orchestrator: [1\n  max-retries: 2\n');
  const problems = problemsOf(() => loadConfig({ file: malformed, env: { PORT: 'not-a-port' } }));
  assert.match(problems[0] ?? '', new RegExp(`^config file ${malformed}:\\d+: `));
  assert.ok(
    problems.some((p) => p.startsWith('capstan.port (from env)')),
    'the other sources are still checked',
  );

  const duplicate = fileOf(
    t,
    'twice.yaml',
    'pipeline.orchestrator.lease-ms: 1\npipeline:\n  orchestrator.lease-ms: 2\n',
  );
  assert.deepEqual(
    problemsOf(() => readConfigFile(duplicate)),
    [`config file ${duplicate}:3: 'pipeline.orchestrator.lease-ms' is already set on line 1`],
  );
  const notAMap = fileOf(t, 'list.yaml', '- a\n- b\n');
  assert.match(problemsOf(() => readConfigFile(notAMap)).join(), /list\.yaml:1: expected a map of settings/);
  assert.match(
    problemsOf(() => readConfigFile(join(tmpdir(), 'capstan-no-such-file.yaml'))).join(),
    /config file .*capstan-no-such-file\.yaml: ENOENT/,
  );
  assert.match(
    problemsOf(() => readConfigFile(fileOf(t, 'capstan.json', '{}'))).join(),
    /capstan\.json: expected a \.yaml, \.yml or \.properties file/,
  );
});

test('config print masks secret-looking keys but shows refs, which are not secret', () => {
  assert.equal(displayValue('pipeline.orchestrator.admin.admin-token-ref', 'env:ADMIN'), 'env:ADMIN');
  assert.equal(displayValue('x.worker.shared-secret-ref', 'file:/run/secret'), 'file:/run/secret');
  assert.equal(displayValue('x.admin-token', 'hunter2'), '****');
  assert.equal(displayValue('x.db.password', 'env:'), '****', 'an empty ref name is no ref');
  assert.equal(displayValue('x.resume-token-secret', 'abc'), '****');
  assert.equal(displayValue('x.admin-token-ref', undefined), undefined, 'nothing to hide');
  assert.equal(displayValue('pipeline.orchestrator.max-retries', 3), 3);
});

test('a config file selects PostgreSQL: nested postgres and cluster keys; a missing url names the file', (t) => {
  const path = fileOf(
    t,
    'capstan.yaml',
    [
      'pipeline:',
      '  orchestrator:',
      '    state-provider: postgres',
      '    postgres:',
      '      url: env:CAPSTAN_DB_URL',
      '      schema: capstan_prod',
      '      pool-size: 20',
      '      migrate-on-start: false',
      '    cluster.leader-lease: PT20S',
      '',
    ].join('\n'),
  );
  const { values, sources, warnings } = loadConfig({ file: path, env: {} });
  assert.deepEqual(warnings, []);
  assert.equal(values['pipeline.orchestrator.state-provider'], 'postgres');
  assert.equal(values['pipeline.orchestrator.postgres.url'], 'env:CAPSTAN_DB_URL');
  assert.equal(values['pipeline.orchestrator.postgres.schema'], 'capstan_prod');
  assert.equal(values['pipeline.orchestrator.postgres.pool-size'], 20);
  assert.equal(values['pipeline.orchestrator.postgres.migrate-on-start'], false);
  assert.equal(values['pipeline.orchestrator.cluster.leader-lease'], 'PT20S');
  assert.equal(sources['pipeline.orchestrator.postgres.url'], 'file');

  const noUrl = fileOf(
    t,
    'application.properties',
    'pipeline.orchestrator.state-provider=postgres\npipeline.orchestrator.postgres.schema=Not-Valid\n',
  );
  const problems = problemsOf(() => loadConfig({ file: noUrl, env: {} }));
  assert.equal(problems.length, 2, problems.join('\n'));
  assert.match(
    problems.join('\n'),
    new RegExp(`postgres\\.schema \\(from file ${noUrl}:2\\): a PostgreSQL schema name`),
  );
  assert.match(
    problems.join('\n'),
    /state-provider=postgres \(from file\) needs pipeline\.orchestrator\.postgres\.url/,
  );
  // The environment and flags supply what the file leaves out or gets wrong.
  const fixed = loadConfig({
    file: noUrl,
    env: { PIPELINE_ORCHESTRATOR_POSTGRES_URL: 'postgres://capstan@db/capstan' },
    flags: { 'pipeline.orchestrator.postgres.schema': 'capstan_ok' },
  });
  assert.equal(fixed.values['pipeline.orchestrator.postgres.url'], 'postgres://capstan@db/capstan');
  assert.equal(fixed.sources['pipeline.orchestrator.postgres.schema'], 'flag');
});
