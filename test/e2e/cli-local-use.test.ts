import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { ok, runCapstan, type CliRun } from '../support/cli-run.ts';
import { ADMIN_TOKEN, OPERATOR_TOKEN, startCoordinatorProcess } from '../support/coordinator-process.ts';
import { ExecutionStatus } from '../../src/domain/execution-status.ts';
import { envWithoutCapstanSettings } from '../support/clean-env.ts';

// The CLI as a person uses it: no token copying beside a local coordinator, a saved profile,
// hints that name the token a refused command needs, the API's field details, `result --wait`
// exit codes, completion scripts, `capstan pipelines`.

const PIPELINE = 'restaurant-approval';

/** An environment with no CAPSTAN_* variable, and its own (empty) config home and data dir. */
function isolatedEnv(t: TestContext, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const home = mkdtempSync(join(tmpdir(), 'capstan-cli-home-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  return {
    ...envWithoutCapstanSettings(),
    XDG_CONFIG_HOME: join(home, 'config'),
    CAPSTAN_DATA_DIR: join(home, 'no-data-dir'),
    ...extra,
  };
}

const cliIn =
  (env: NodeJS.ProcessEnv) =>
  (...args: string[]): Promise<CliRun> =>
    runCapstan(env, args);

function fails(r: CliRun, code: number, stderr: RegExp): void {
  assert.equal(
    r.code,
    code,
    `expected exit ${code}, got ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`,
  );
  assert.match(r.stderr, stderr);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
const json = (r: CliRun): any => JSON.parse(ok(r));

const order = (totalAmount = '27.50') =>
  JSON.stringify({
    requestId: randomUUID(),
    customerName: 'Ada Lovelace',
    restaurantName: 'Cafe Capstan',
    items: '2x pasta',
    totalAmount,
    currency: 'EUR',
  });

test('beside a local coordinator: its generated tokens are found; a refused admin command names the admin token', async (t) => {
  // Generated tokens (no refs), kept in <data-dir>/tokens.json as `capstan serve` does by default.
  const coordinator = await startCoordinatorProcess(t, {
    env: {
      PIPELINE_ORCHESTRATOR_CONTROL_PLANE_ADMIN_TOKEN_REF: '',
      PIPELINE_ORCHESTRATOR_ADMIN_ADMIN_TOKEN_REF: '',
    },
  });
  const tokens = JSON.parse(readFileSync(join(coordinator.dataDir, 'tokens.json'), 'utf8')) as {
    operator: string;
  };
  const local = cliIn(
    isolatedEnv(t, { CAPSTAN_URL: coordinator.baseUrl, CAPSTAN_DATA_DIR: coordinator.dataDir }),
  );
  const submitted = json(await local('submit', '--pipeline', PIPELINE, '--input', order(), '--json'));
  assert.equal(submitted.duplicate, false, 'no token given: the local data directory had it');
  // Admin commands find the admin token there too.
  const active = json(await local('releases', 'active', '--pipeline', PIPELINE, '--json'));
  assert.equal(active.status, 'ACTIVE');

  // Another host never gets the local tokens.
  const remote = await local('list', '--url', 'http://localhost.invalid:9');
  fails(remote, 7, /^error unreachable:/m);

  // An operator token given explicitly: an admin command is refused, and the hint says where the admin token is.
  const operator = cliIn(
    isolatedEnv(t, { CAPSTAN_URL: coordinator.baseUrl, CAPSTAN_TOKEN: tokens.operator }),
  );
  const refused = await operator('redrive', submitted.executionId);
  fails(refused, 6, /^error forbidden:/m);
  assert.match(
    refused.stderr,
    /^hint: admin commands need the admin token: --admin-token or CAPSTAN_ADMIN_TOKEN/m,
  );
  assert.match(refused.stderr, /tokens\.json/);

  // No token at all, and no local data directory: the hint says how to give one.
  const anonymous = await cliIn(isolatedEnv(t, { CAPSTAN_URL: coordinator.baseUrl }))('list');
  fails(anonymous, 6, /^error unauthorized: .*\(set CAPSTAN_TOKEN or --token\)$/m);
  assert.match(anonymous.stderr, /^hint: no token was found; .*capstan login/m);
});

test('capstan login saves a profile (0600) that later commands use; flags win; logout forgets it', async (t) => {
  const coordinator = await startCoordinatorProcess(t);
  const env = isolatedEnv(t);
  const cli = cliIn(env);
  const profiles = join(env.XDG_CONFIG_HOME ?? '', 'capstan', 'profiles.json');

  // A wrong token is refused before anything is saved.
  fails(
    await cli('login', '--url', coordinator.baseUrl, '--token', 'wrong-token'),
    6,
    /^error unauthorized:.*Nothing was saved/m,
  );
  assert.throws(() => statSync(profiles), 'nothing saved');
  fails(await cli('login', '--url', coordinator.baseUrl), 2, /give at least one of --token/);

  assert.match(
    ok(
      await cli(
        'login',
        '--url',
        coordinator.baseUrl,
        '--token',
        OPERATOR_TOKEN,
        '--admin-token',
        ADMIN_TOKEN,
      ),
    ),
    /^profile 'default' saved in .*profiles\.json/m,
  );
  assert.equal(statSync(profiles).mode & 0o777, 0o600, 'owner-only: it holds tokens');
  assert.equal(statSync(join(env.XDG_CONFIG_HOME ?? '', 'capstan')).mode & 0o777, 0o700);

  // No URL, no token: the profile's.
  const submitted = json(await cli('submit', '--pipeline', PIPELINE, '--input', order(), '--json'));
  assert.match(ok(await cli('status', submitted.executionId)), /^pipeline\s+restaurant-approval$/m);
  assert.equal(json(await cli('releases', 'active', '--pipeline', PIPELINE, '--json')).status, 'ACTIVE');
  // A flag wins over the profile.
  fails(await cli('status', submitted.executionId, '--token', 'wrong-token'), 6, /^error unauthorized:/m);
  // A named profile that does not exist is a configuration error.
  fails(await cli('list', '--profile', 'staging'), 78, /^error invalid_configuration: no profile 'staging'/m);
  // Another URL does not get the profile's tokens.
  const elsewhere = await cli('list', '--url', 'http://127.0.0.1:9');
  fails(elsewhere, 7, /^error unreachable:/m);

  assert.match(ok(await cli('logout')), /profile 'default' removed/);
  assert.throws(() => statSync(profiles), 'the last profile gone, the file is too');
  fails(await cli('logout'), 5, /no profile 'default'/);
});

test('the CLI shows the API field details (and --json keeps them); unknown pipeline 404; query errors name the parameter', async (t) => {
  const coordinator = await startCoordinatorProcess(t);
  const cli = cliIn(isolatedEnv(t, { CAPSTAN_URL: coordinator.baseUrl, CAPSTAN_TOKEN: OPERATOR_TOKEN }));

  const [invalid, invalidJson, unknown, badStatus, badStatusJson, badLimit] = await Promise.all([
    cli('submit', '--pipeline', PIPELINE, '--input', '{"requestId":"nope"}'),
    cli('submit', '--pipeline', PIPELINE, '--input', '{"requestId":"nope"}', '--json'),
    cli('submit', '--pipeline', 'no-such-pipeline', '--input', '{}'),
    cli('list', '--status', 'SLEEPING'),
    cli('list', '--status', 'SLEEPING', '--json'),
    cli('list', '--limit', '5000'),
  ]);
  fails(invalid, 5, /^error invalid_input:/m);
  assert.match(invalid.stderr, /^ {2}\/requestId: .+/m, 'each field problem on its line');
  assert.match(invalid.stderr, /customerName/);
  assert.equal(invalidJson.code, 5);
  const body = JSON.parse(invalidJson.stdout) as { error: { code: string; details: { issues: unknown[] } } };
  assert.equal(body.error.code, 'invalid_input');
  assert.ok(body.error.details.issues.length > 1, '--json keeps the details');

  fails(unknown, 3, /^error pipeline_not_found: No release of pipeline 'no-such-pipeline' is registered/m);

  fails(badStatus, 5, /^error invalid_request: Invalid query: status/m);
  assert.match(badStatus.stderr, /^ {2}parameter: status$/m);
  assert.ok(
    badStatus.stderr.includes(`allowed: ${Object.values(ExecutionStatus).join(', ')}`),
    badStatus.stderr,
  );
  assert.equal(JSON.parse(badStatusJson.stdout).error.details.parameter, 'status');
  fails(badLimit, 5, /^ {2}\/limit: .*maximum: 1000/m);
});

test('result --wait: exit codes by outcome, --until terminal waits through a park; capstan pipelines', async (t) => {
  // No DLQ: a non-retryable failure ends FAILED.
  const coordinator = await startCoordinatorProcess(t);
  const failing = await startCoordinatorProcess(t, { env: { PIPELINE_ORCHESTRATOR_DLQ_PROVIDER: 'none' } });
  const cli = cliIn(isolatedEnv(t, { CAPSTAN_URL: coordinator.baseUrl, CAPSTAN_TOKEN: OPERATOR_TOKEN }));
  const noDlq = cliIn(isolatedEnv(t, { CAPSTAN_URL: failing.baseUrl, CAPSTAN_TOKEN: OPERATOR_TOKEN }));
  const submit = async (run: typeof cli, input: string) =>
    json(await run('submit', '--pipeline', PIPELINE, '--input', input, '--json')).executionId as string;

  const [good, bad, cancelled, failed] = await Promise.all([
    submit(cli, order()),
    submit(cli, order('0')),
    submit(cli, order()),
    submit(noDlq, order('0')),
  ]);
  const [parked, dlq, failedRun] = await Promise.all([
    cli('result', good, '--wait', '10s'),
    cli('result', bad, '--wait', '10s'),
    noDlq('result', failed, '--wait'),
  ]);
  assert.equal(parked.code, 11, `parked: not finished\n${parked.stderr}`);
  assert.match(parked.stdout, /no result: the execution is WAITING_EXTERNAL/);
  assert.equal(dlq.code, 9, `DLQ\n${dlq.stderr}`);
  assert.equal(failedRun.code, 8, `FAILED\n${failedRun.stdout}${failedRun.stderr}`);
  ok(await cli('cancel', cancelled));
  assert.equal((await cli('result', cancelled, '--wait', '--json')).code, 10);
  // Without --wait, the exit code stays 0 whatever the status (as before).
  ok(await cli('result', bad));

  // --until terminal waits through the park; the decision arrives meanwhile.
  const waiting = cli('result', good, '--until', 'terminal', '--wait', '30s');
  const pending = json(await cli('pending', '--json')) as {
    executionId: string;
    interactionId: string;
    requestPayload: { orderId: string };
  }[];
  const interaction = pending.find((i) => i.executionId === good);
  assert.ok(interaction);
  const response = {
    accepted: { orderId: interaction.requestPayload.orderId, decidedAt: new Date().toISOString() },
  };
  ok(
    await cli('complete', '--interaction', interaction.interactionId, '--response', JSON.stringify(response)),
  );
  const finished = await waiting;
  assert.equal(finished.code, 0, finished.stderr);
  assert.match(finished.stdout, /SUCCEEDED/);
  assert.match(finished.stdout, /"outcome": "APPROVED"/);

  // History names the steps.
  assert.match(ok(await cli('history', good)), /^\d+\s+\S+\s+\S+\s+3 \(finalize-decision\)\s/m);

  // pipelines: the table and the API's JSON.
  const table = ok(await cli('pipelines'));
  assert.match(
    table.split('\n')[0] ?? '',
    /^PIPELINE\s+ACTIVE RELEASE\s+HOSTED\s+RELEASES\s+QUEUED\s+RUNNING\s+WAITING\s+RETRYING\s+DLQ$/,
  );
  assert.match(table, /^restaurant-approval\s+\S+\s+yes\s+1\s+0\s+0\s+0\s+0\s+1$/m);
  const [summary] = json(await cli('pipelines', '--json'));
  assert.deepEqual(summary.liveCounts, { DLQ: 1 });
});

test('capstan --version and completion scripts generated from the command tree', async (t) => {
  const cli = cliIn(isolatedEnv(t));
  const version = (
    JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  ).version;
  const [v, bash, zsh, fish, bad] = await Promise.all([
    cli('--version'),
    cli('completion', 'bash'),
    cli('completion', 'zsh'),
    cli('completion', 'fish'),
    cli('completion', 'tcsh'),
  ]);
  assert.equal(ok(v).trim(), version);
  fails(bad, 2, /value 'tcsh' is invalid/);
  assert.match(
    ok(fish),
    /complete -c capstan -n '__fish_seen_subcommand_from workers; and __fish_seen_subcommand_from drain' -l pipeline/,
  );
  assert.match(ok(zsh), /bashcompinit/);
  // The bash script completes as bash would: the words after what has been typed.
  const complete = (...words: string[]) =>
    execFileSync(
      'bash',
      [
        '-c',
        `eval "$SCRIPT"; COMP_WORDS=(${words.join(' ')}); COMP_CWORD=${words.length - 1}; _capstan_complete; echo "\${COMPREPLY[*]}"`,
      ],
      { env: { ...process.env, SCRIPT: ok(bash) }, encoding: 'utf8' },
    ).trim();
  assert.equal(complete('capstan', 'pip'), 'pipelines');
  assert.equal(complete('capstan', 'release', 'act'), 'activate active activations');
  assert.equal(complete('capstan', 'result', 'x', '--un'), '--until');
  assert.equal(complete('capstan', 'completion', ''), '--help');
});

test('discovery and artifacts from the CLI: whoami, cluster, releases artifact', async (t) => {
  const coordinator = await startCoordinatorProcess(t);
  const operator = cliIn(isolatedEnv(t, { CAPSTAN_URL: coordinator.baseUrl, CAPSTAN_TOKEN: OPERATOR_TOKEN }));
  const admin = cliIn(isolatedEnv(t, { CAPSTAN_URL: coordinator.baseUrl, CAPSTAN_TOKEN: ADMIN_TOKEN }));

  assert.equal(ok(await operator('whoami')).trim(), 'operator');
  assert.equal(json(await admin('whoami', '--json')).role, 'admin');
  fails(
    await cliIn(isolatedEnv(t, { CAPSTAN_URL: coordinator.baseUrl, CAPSTAN_TOKEN: 'nope' }))('whoami'),
    6,
    /unauthorized/,
  );

  const cluster = json(await operator('cluster', '--json'));
  assert.equal(typeof cluster.nodeId, 'string');
  assert.match(ok(await operator('cluster')), /^node\s+\S+/m);

  const active = json(await admin('releases', 'active', '--pipeline', PIPELINE, '--json'));
  const dir = mkdtempSync(join(tmpdir(), 'capstan-cli-artifact-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'artifact.tgz');
  ok(await admin('releases', 'artifact', active.releaseVersion, '--pipeline', PIPELINE, '--out', file));
  const bytes = readFileSync(file);
  assert.deepEqual([...bytes.subarray(0, 2)], [0x1f, 0x8b], 'a gzip archive');
  // The operator token does not open artifacts (admin or worker only).
  fails(
    await operator('releases', 'artifact', active.releaseVersion, '--pipeline', PIPELINE, '--out', file),
    6,
    /forbidden/,
  );
  fails(
    await admin('releases', 'artifact', 'no-such-version', '--pipeline', PIPELINE, '--out', file),
    3,
    /not_found/,
  );
});
