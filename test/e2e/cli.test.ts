import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test, type TestContext } from 'node:test';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli/program.ts';
import { ok, runCapstan, type CliRun } from '../support/cli-run.ts';
import {
  ADMIN_TOKEN,
  apiClient,
  OPERATOR_TOKEN,
  startCoordinatorProcess,
} from '../support/coordinator-process.ts';
import { envWithoutCapstanSettings } from '../support/clean-env.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const PIPELINE = 'restaurant-approval';

/**
 * The environment without any CAPSTAN_* variable of the machine running the tests, nor its
 * profiles (`capstan login`) or a local coordinator's tokens (./.capstan): every token is given.
 */
const isolated = mkdtempSync(join(tmpdir(), 'capstan-cli-home-'));
process.on('exit', () => rmSync(isolated, { recursive: true, force: true }));
const baseEnv = {
  ...envWithoutCapstanSettings(),
  XDG_CONFIG_HOME: join(isolated, 'config'),
  CAPSTAN_DATA_DIR: join(isolated, 'no-data-dir'),
};

/** At most `n` CLI processes at once: each one loads the TypeScript sources through tsx. */
function limiter(n: number) {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    while (active >= n) await new Promise<void>((wake) => waiting.push(wake));
    active += 1;
    try {
      return await task();
    } finally {
      active -= 1;
      waiting.shift()?.();
    }
  };
}
const limit = limiter(Math.max(2, Math.min(4, availableParallelism())));

/** Runs the real binary (`node bin/capstan.mjs …`) with the given environment; never throws on an exit code. */
function cliWith(env: Record<string, string>) {
  return (...args: string[]): Promise<CliRun> => limit(() => runCli(env, args));
}

const runCli = (env: Record<string, string>, args: string[]): Promise<CliRun> =>
  runCapstan({ ...baseEnv, ...env }, args);

/** The `--json` output, parsed (exit 0 asserted). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
function json(r: CliRun): any {
  return JSON.parse(ok(r));
}

function fails(r: CliRun, code: number, stderr: RegExp): void {
  assert.equal(
    r.code,
    code,
    `expected exit ${code}, got ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`,
  );
  assert.match(r.stderr, stderr);
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

const order = (totalAmount = '27.50') => ({
  requestId: randomUUID(),
  customerName: 'Ada Lovelace',
  restaurantName: 'Cafe Capstan',
  items: '2x pasta',
  totalAmount,
  currency: 'EUR',
});

async function coordinatorCli(t: TestContext, env: Record<string, string> = {}) {
  const coordinator = await startCoordinatorProcess(t, { env });
  const connection = {
    CAPSTAN_URL: coordinator.baseUrl,
    CAPSTAN_TOKEN: OPERATOR_TOKEN,
    CAPSTAN_ADMIN_TOKEN: ADMIN_TOKEN,
  };
  return { coordinator, connection, cli: cliWith(connection) };
}

/**
 * Every command's help, keyed by its path (`''` for the root, `release register`…), read
 * in-process from the very command tree the binary parses (`buildProgram`). The real binary's
 * `--help` is run for the root and each command group below.
 */
function helpTree(): Map<string, string> {
  const tree = new Map<string, string>();
  const walk = (command: Command, path: string[]): void => {
    tree.set(path.join(' '), command.helpInformation());
    for (const child of command.commands) walk(child, [...path, child.name()]);
  };
  walk(buildProgram(), []);
  return tree;
}

const API_COMMANDS = [
  'submit',
  'status',
  'list',
  'result',
  'history',
  'cancel',
  'pending',
  'complete',
  'awaits admission',
  'redrive',
  'release register',
  'release activate',
  'release list',
  'release show',
  'release active',
  'release activations',
  'workers register',
  'workers heartbeat',
  'workers drain',
  'workers undrain',
  'workers list',
  'schedule create',
  'schedule list',
  'schedule show',
  'schedule pause',
  'schedule resume',
  'schedule delete',
  'health',
  'ready',
];

test('the CLI: --help on every command exits 0, usage errors exit 2', async () => {
  const tree = helpTree();
  const groups = [...tree.keys()].filter(
    (key) =>
      key !== '' &&
      !key.includes(' ') &&
      buildProgram().commands.find((c) => c.name() === key)?.commands.length,
  );
  const [root, ...groupHelps] = await Promise.all([
    cliWith({})('--help'),
    ...groups.map((g) => cliWith({})(g, '--help')),
  ]);
  const rootHelp = ok(root);
  for (const [i, help] of groupHelps.entries())
    assert.match(ok(help), new RegExp(`^Usage: capstan ${groups[i] ?? ''}`));
  for (const command of [...API_COMMANDS, 'release build', 'serve', 'rebuild-projections'])
    assert.ok(tree.has(command), `capstan --help lists ${command} (listed: ${[...tree.keys()].join(', ')})`);
  for (const command of API_COMMANDS) {
    const text = tree.get(command) ?? '';
    assert.ok(text.startsWith(`Usage: capstan ${command} `), text);
    for (const flag of ['--json', '--url <url>', '--token <token>', '--admin-token <token>', '--tenant <id>'])
      assert.ok(text.includes(flag), `${command} --help shows ${flag}`);
  }
  assert.match(rootHelp, /Exit codes:[\s\S]*6 auth \(401\/403\)/, 'the exit codes are documented');
  assert.match(rootHelp, /CAPSTAN_ADMIN_TOKEN/, 'so is the environment');

  const cli = cliWith({});
  const [releasesBuild, helpCommand, ...usage] = await Promise.all([
    cli('releases', 'build', '--help'),
    cli('help', 'submit'),
    cli('status'),
    cli('frobnicate'),
    cli('list', '--limit', 'many'),
    cli('submit', '--pipeline', PIPELINE),
    cli('submit', '--pipeline', PIPELINE, '--input', '{}', '--input-file', 'x.json'),
    cli('releases', 'register', '--pipeline', PIPELINE),
    cli(),
  ]);
  assert.match(ok(releasesBuild), /--pipelines <module\.\.\.>/, '`releases build` is `release build`');
  assert.match(ok(helpCommand), /^Usage: capstan submit/);
  for (const r of usage) assert.equal(r.code, 2, `a usage error exits 2: ${r.stderr}`);
  assert.match(usage[0].stderr, /missing required argument 'executionId'/);
  assert.match(usage[2].stderr, /option '--limit <n>' argument 'many' is invalid/);
  assert.match(usage[3].stderr, /one of --input <json> or --input-file <path> is required/);
  assert.match(usage[4].stderr, /give either --input or --input-file, not both/);
  assert.match(usage[5].stderr, /give exactly one of --descriptor-path <path> or --dir <folder>/);
});

test('the CLI against a coordinator: executions, the inbox, re-drive, list, exit codes', async (t) => {
  const { coordinator, connection, cli } = await coordinatorCli(t);
  const api = apiClient(coordinator.baseUrl);
  const cp = '/tpf/control-plane/tenants/default';
  const dir = mkdtempSync(join(tmpdir(), 'capstan-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const input = order();
  const inputFile = join(dir, 'order.json');
  writeFileSync(inputFile, JSON.stringify(input));
  const offline = cliWith({ ...connection, CAPSTAN_URL: `http://127.0.0.1:${await closedPort()}` });

  // submit: a table, --json (the API response), the same key again (a duplicate), refusals.
  const [firstRun, secondRun, malformed, unreachable, invalid] = await Promise.all([
    cli('submit', '--pipeline', PIPELINE, '--input', JSON.stringify(order())),
    cli('submit', '--pipeline', PIPELINE, '--input-file', inputFile, '--key', 'order-2', '--json'),
    // Malformed JSON is refused before any request: exit 5 though no server is behind the URL.
    offline('submit', '--pipeline', PIPELINE, '--input', '{"requestId":'),
    offline('health'),
    cli('submit', '--pipeline', PIPELINE, '--input', '{"nope":1}'),
  ]);
  const first = ok(firstRun);
  const firstId = /^execution\s+(\S+)$/m.exec(first)?.[1] ?? '';
  assert.ok(firstId, first);
  assert.match(first, /^duplicate\s+false$/m);
  assert.match(first, /^pipeline\s+restaurant-approval$/m);
  const second = json(secondRun);
  assert.deepEqual(Object.keys(second).sort(), [
    'contractVersion',
    'duplicate',
    'executionId',
    'pipelineId',
    'releaseVersion',
    'statusUrl',
    'submittedAtEpochMs',
  ]);
  assert.equal(second.duplicate, false);
  fails(malformed, 5, /^error invalid_argument: --input is not valid JSON/m);
  fails(unreachable, 7, /^error unreachable: cannot reach http:\/\/127\.0\.0\.1:\d+/m);
  fails(invalid, 5, /^error invalid_input:/m);
  const again = json(
    await cli(
      'submit',
      '--pipeline',
      PIPELINE,
      '--input',
      JSON.stringify(input),
      '--key',
      'order-2',
      '--json',
    ),
  );
  assert.equal(again.executionId, second.executionId);
  assert.equal(again.duplicate, true);

  // result --wait-ms: both executions park at the restaurant's decision.
  const [parked, parkedJson] = await Promise.all([
    cli('result', firstId, '--wait-ms', '10000'),
    cli('result', second.executionId, '--wait-ms', '10000', '--json').then(json),
  ]);
  assert.match(ok(parked), /^status\s+WAITING_EXTERNAL \(waiting for interaction\)$/m);
  assert.match(parked.stdout, /no result: the execution is WAITING_EXTERNAL/);
  assert.equal(parkedJson.status.status, 'WAITING_EXTERNAL');
  assert.equal(parkedJson.result, null);

  // status and pending: tables, and --json exactly as the API answers.
  const [status, statusJson, inbox, pending, noneRun, oneJson] = await Promise.all([
    cli('status', firstId).then(ok),
    cli('status', firstId, '--json').then(json),
    cli('pending', '--group', 'restaurant-staff').then(ok),
    cli('pending', '--json').then(json),
    cli('pending', '--step', 'no-such-step').then(ok),
    cli('pending', '--limit', '1', '--json').then(json),
  ]);
  assert.match(status, new RegExp(`^execution\\s+${firstId}$`, 'm'));
  assert.match(status, /^pipeline\s+restaurant-approval$/m);
  assert.match(status, /^step\s+2 \(await-restaurant-decision\)$/m, 'the step by index and name');
  assert.deepEqual(statusJson, (await api.status(firstId)).body);
  assert.match(
    inbox.split('\n')[0] ?? '',
    /^INTERACTION\s+EXECUTION\s+STEP\s+ASSIGNEE\s+GROUP\s+DEADLINE\s+REQUEST$/,
  );
  assert.ok(inbox.includes(firstId) && inbox.includes(second.executionId), inbox);
  assert.match(inbox, /await-restaurant-decision\s+-\s+restaurant-staff/);
  assert.deepEqual(pending, (await api.pending()).body);
  assert.equal(noneRun.trim(), '(none)');
  assert.equal(oneJson.length, 1);
  type Interaction = { executionId: string; interactionId: string; requestPayload: { orderId: string } };
  const interactionOf = (id: string): Interaction =>
    (pending as Interaction[]).find((i) => i.executionId === id) ?? assert.fail(`no interaction for ${id}`);

  // complete: a response file (table), an inline response (--json), an unknown interaction (exit 3).
  const decision = (id: string) => ({
    accepted: { orderId: interactionOf(id).requestPayload.orderId, decidedAt: '2026-01-01T12:00:00Z' },
  });
  const responseFile = join(dir, 'decision.json');
  writeFileSync(responseFile, JSON.stringify(decision(firstId)));
  const firstInteraction = interactionOf(firstId).interactionId;
  const secondInteraction = interactionOf(second.executionId).interactionId;
  const [completed, completedJson, unknownInteraction] = await Promise.all([
    cli(
      'complete',
      '--interaction',
      firstInteraction,
      '--response-file',
      responseFile,
      '--actor',
      'ada',
    ).then(ok),
    cli(
      'complete',
      ...['--interaction', secondInteraction, '--response', JSON.stringify(decision(second.executionId))],
      ...['--key', 'decision-2', '--json'],
    ).then(json),
    cli('complete', '--interaction', 'no-such-interaction', '--response', '{}'),
  ]);
  assert.match(completed, new RegExp(`^execution\\s+${firstId}$`, 'm'));
  assert.match(completed, /^duplicate\s+false$/m);
  assert.equal(completedJson.executionId, second.executionId);
  assert.equal(completedJson.duplicate, false);
  fails(unknownInteraction, 3, /^error interaction_not_found:/m);

  // result shows SUCCEEDED, as a table and as the API's JSON.
  const [succeeded, resultJson] = await Promise.all([
    cli('result', firstId, '--wait-ms', '10000').then(ok),
    cli('result', second.executionId, '--wait-ms', '10000', '--json').then(json),
  ]);
  assert.match(succeeded, new RegExp(`^${firstId}\\s+SUCCEEDED$`, 'm'));
  assert.match(succeeded, /"outcome": "APPROVED"/);
  assert.equal(resultJson.status.status, 'SUCCEEDED');
  assert.equal(resultJson.result.outcome, 'APPROVED');
  assert.ok(resultJson.resultPayload, 'the envelope is there, unchanged');

  // history: a table, --json as the API answers, and paging.
  const [history, historyJson, page] = await Promise.all([
    cli('history', firstId).then(ok),
    cli('history', firstId, '--json').then(json),
    cli('history', firstId, '--limit', '2').then(ok),
  ]);
  assert.match(history.split('\n')[0] ?? '', /^SEQ\s+AT\s+TYPE\s+STEP\s+DATA$/);
  assert.deepEqual(historyJson, (await api.call('GET', `${cp}/executions/${firstId}/history`)).body);
  assert.ok(historyJson.events.length > 2);
  for (const event of historyJson.events) assert.ok(history.includes(event.type), event.type);
  const afterSeq = Number(/more: --after-seq (\d+)/.exec(page)?.[1]);
  assert.equal(afterSeq, historyJson.events[1].seq);
  const rest = json(await cli('history', firstId, '--after-seq', String(afterSeq), '--json'));
  assert.deepEqual(rest.events, historyJson.events.slice(2));

  // cancel: a waiting execution is cancelled (again: the same answer); a finished one is a conflict.
  // redrive: a non-DLQ execution is a conflict (exit 4); a DLQ one goes back to QUEUED.
  const [third, bad, cancelFinished, redriveFinished] = await Promise.all([
    cli('submit', '--pipeline', PIPELINE, '--input', JSON.stringify(order()), '--json').then(json),
    cli('submit', '--pipeline', PIPELINE, '--input', JSON.stringify(order('0')), '--json').then(json),
    cli('cancel', firstId),
    cli('redrive', firstId),
  ]);
  fails(cancelFinished, 4, /^error execution_state_conflict: The execution is already SUCCEEDED/m);
  fails(redriveFinished, 4, /^error execution_state_conflict:/m);
  const [thirdParked, dlq] = await Promise.all([
    cli('result', third.executionId, '--wait-ms', '10000', '--json').then(json),
    cli('result', bad.executionId, '--wait-ms', '10000', '--json').then(json),
  ]);
  assert.equal(thirdParked.status.status, 'WAITING_EXTERNAL');
  assert.match(ok(await cli('cancel', third.executionId)), /^status\s+CANCELLED$/m);
  assert.equal(json(await cli('cancel', third.executionId, '--json')).status, 'CANCELLED');
  assert.equal(dlq.status.status, 'DLQ');
  assert.equal(dlq.status.errorCode, 'invalid_amount');
  fails(
    await cli('redrive', bad.executionId, '--expected-version', String(dlq.status.version + 100)),
    4,
    /^error execution_version_conflict:/m,
  );
  assert.match(
    ok(await cli('redrive', bad.executionId, '--reason', 'try again')),
    /^status\s+DLQ -> QUEUED$/m,
  );
  const dlqAgain = json(await cli('result', bad.executionId, '--wait-ms', '10000', '--json')).status;
  assert.equal(dlqAgain.status, 'DLQ', 'the same non-retryable failure again');
  const redriven = json(
    await cli('redrive', bad.executionId, '--expected-version', String(dlqAgain.version), '--json'),
  );
  assert.equal(redriven.previousStatus, 'DLQ');
  assert.equal(redriven.status, 'QUEUED');
  assert.equal(redriven.executionId, bad.executionId);
  assert.equal(
    json(await cli('result', bad.executionId, '--wait-ms', '10000', '--json')).status.status,
    'DLQ',
  );

  // list: filters, a table, --json as the API answers, paging with the cursor.
  const future = new Date(Date.now() + 60_000).toISOString();
  const [all, succeededTable, failed, byRelease, noRelease, firstPage, createdLater, badStatus] =
    await Promise.all([
      cli('list', '--json').then(json),
      cli('list', '--status', 'SUCCEEDED', '--pipeline', PIPELINE).then(ok),
      cli('list', '--error-code', 'invalid_amount', '--json').then(json),
      cli('list', '--release', second.releaseVersion, '--status', 'CANCELLED,DLQ', '--json').then(json),
      cli('list', '--release', 'no-such-release', '--json').then(json),
      cli('list', '--limit', '1').then(ok),
      cli('list', '--created-from', future, '--json').then(json),
      cli('list', '--status', 'SLEEPING'),
    ]);
  assert.deepEqual(all, (await api.call('GET', `${cp}/executions`)).body);
  const idsOf = (page: { items: { executionId: string }[] }) => page.items.map((s) => s.executionId);
  assert.deepEqual(
    idsOf(all).sort(),
    [firstId, second.executionId, third.executionId, bad.executionId].sort(),
  );
  assert.match(
    succeededTable.split('\n')[0] ?? '',
    /^EXECUTION\s+STATUS\s+PIPELINE\s+RELEASE\s+STEP\s+ATTEMPT\s+UPDATED\s+ERROR$/,
  );
  assert.ok(succeededTable.includes(firstId) && succeededTable.includes(second.executionId));
  assert.ok(!succeededTable.includes(third.executionId), 'the cancelled one is filtered out');
  assert.deepEqual(idsOf(failed), [bad.executionId]);
  assert.deepEqual(idsOf(byRelease).sort(), [third.executionId, bad.executionId].sort());
  assert.deepEqual(noRelease.items, []);
  assert.deepEqual(createdLater.items, [], '--created-from takes an ISO date');
  fails(badStatus, 5, /^error invalid_request:/m);
  const cursor = /more: --cursor (\S+)/.exec(firstPage)?.[1] ?? '';
  assert.ok(cursor, firstPage);
  assert.equal(/^(\S+)/m.exec(firstPage.split('\n')[1] ?? '')?.[1], idsOf(all)[0], 'the newest first');
  const nextPage = json(await cli('list', '--limit', '1', '--cursor', cursor, '--json'));
  assert.deepEqual(idsOf(nextPage), [idsOf(all)[1]], 'the next page starts after the cursor');

  // Exit codes: not found (3), auth (6), configuration (78); health and ready need no token.
  const anonymous = cliWith({ CAPSTAN_URL: coordinator.baseUrl });
  const wrongToken = cliWith({ ...connection, CAPSTAN_TOKEN: 'wrong-token' });
  const operatorOnly = cliWith({ CAPSTAN_URL: coordinator.baseUrl, CAPSTAN_TOKEN: OPERATOR_TOKEN });
  const [unknown, unknownJson, flagToken, envToken, noToken, forbidden, otherTenant, badUrl] =
    await Promise.all([
      cli('status', 'no-such-execution'),
      cli('status', 'no-such-execution', '--json'),
      cli('status', firstId, '--token', 'wrong-token'),
      wrongToken('pending'),
      anonymous('list'),
      operatorOnly('redrive', bad.executionId),
      cli('status', firstId, '--tenant', 'other'),
      cli('status', firstId, '--url', 'ftp://example.com'),
    ]);
  fails(unknown, 3, /^error execution_not_found:/m);
  fails(unknownJson, 3, /^error execution_not_found:/m);
  fails(flagToken, 6, /^error unauthorized:/m);
  fails(envToken, 6, /^error unauthorized:/m);
  fails(noToken, 6, /^error unauthorized: .*\(set CAPSTAN_TOKEN or --token\)$/m);
  fails(forbidden, 6, /^error forbidden:/m);
  fails(otherTenant, 3, /^error execution_not_found:/m); // --tenant is sent: the execution is in 'default'
  fails(badUrl, 78, /^error invalid_configuration:/m);

  const [health, healthJson, ready, readyJson] = await Promise.all([
    anonymous('health').then(ok),
    anonymous('health', '--json').then(json),
    anonymous('ready').then(ok),
    anonymous('ready', '--json').then(json),
  ]);
  assert.equal(health.trim(), 'UP');
  assert.deepEqual(healthJson, { status: 'UP' });
  assert.match(ready, /^UP$/m);
  assert.match(ready, /^database\s+UP$/m);
  assert.match(ready, /^maintenance-loop\s+UP$/m);
  assert.deepEqual(readyJson, (await apiClient(coordinator.baseUrl, null).call('GET', '/api/ready')).body);
});

test('the CLI: releases build, register (folder and path), list, show, active, activate, activations', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'capstan-cli-releases-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const { cli } = await coordinatorCli(t, { CAPSTAN_RELEASES_ALLOWED_ROOTS: root });
  const source = 'examples/restaurant-approval/pipeline.ts';
  const p = ['--pipeline', PIPELINE];

  // `releases build` is `release build`.
  const built = json(
    await cli(
      'releases',
      'build',
      '--pipelines',
      source,
      '--out',
      join(root, 'v2'),
      '--release-version',
      'v2',
      '--json',
    ),
  );
  assert.equal(built[0].releaseVersion, 'v2');
  ok(
    await cli(
      'release',
      'build',
      '--pipelines',
      source,
      '--out',
      join(root, 'v3'),
      '--release-version',
      'v3',
    ),
  );

  const v1 = json(await cli('releases', 'active', ...p, '--json'));
  assert.equal(v1.status, 'ACTIVE', 'serve registered and activated the example');

  // register: a folder (its parent, as `release build --out` names it), uploaded as a .tgz ...
  const v2 = ok(await cli('releases', 'register', ...p, '--dir', join(root, 'v2')));
  assert.match(v2, /^release\s+v2$/m);
  assert.match(v2, /^status\s+REGISTERED$/m);
  // ... or a descriptor path the coordinator reads (the same release again: idempotent).
  const descriptorPath = join(root, 'v2', PIPELINE, 'pipeline-release.json');
  const v2again = json(
    await cli('releases', 'register', ...p, '--descriptor-path', descriptorPath, '--json'),
  );
  assert.equal(v2again.releaseVersion, 'v2');
  assert.equal(v2again.contractVersion, v1.contractVersion);
  const v3 = json(await cli('releases', 'register', ...p, '--dir', join(root, 'v3', PIPELINE), '--json'));
  assert.equal(v3.status, 'REGISTERED');
  fails(
    await cli('releases', 'register', ...p, '--descriptor-path', resolve(ROOT, 'package.json')),
    5,
    /^error release_path_not_allowed:/m,
  );
  fails(
    await cli('releases', 'register', ...p, '--dir', root),
    5,
    /^error invalid_argument: no pipeline-release\.json/m,
  );

  // list, show, activate, active, activations.
  const list = ok(await cli('releases', 'list', ...p));
  assert.match(list.split('\n')[0] ?? '', /^RELEASE\s+STATUS\s+CONTRACT\s+CREATED\s+ACTIVATED$/);
  assert.match(list, new RegExp(`^${v1.releaseVersion.replace(/\./g, '\\.')}\\s+ACTIVE\\s`, 'm'));
  assert.match(list, /^v2\s+REGISTERED\s/m);
  const listJson = json(await cli('releases', 'list', ...p, '--json'));
  assert.deepEqual(
    listJson.map((r: { releaseVersion: string }) => r.releaseVersion).sort(),
    [v1.releaseVersion, 'v2', 'v3'].sort(),
  );
  assert.match(ok(await cli('releases', 'show', 'v2', ...p)), /^status\s+REGISTERED$/m);
  fails(await cli('releases', 'show', 'v9', ...p), 3, /^error release_not_found:/m);
  assert.match(ok(await cli('releases', 'activate', 'v3', ...p)), /^status\s+ACTIVE$/m);
  assert.equal(json(await cli('releases', 'active', ...p, '--json')).releaseVersion, 'v3');
  const activations = json(await cli('releases', 'activations', ...p, '--json'));
  assert.deepEqual(
    activations.map((a: { releaseVersion: string }) => a.releaseVersion),
    [v1.releaseVersion, 'v3'],
  );
  assert.match(ok(await cli('releases', 'activations', ...p)), /^SEQ\s+RELEASE\s+ACTIVATED\s+ACTOR$/m);
  fails(await cli('releases', 'active', '--pipeline', 'no-such-pipeline'), 3, /^error pipeline_not_found:/m);
  fails(await cli('releases', 'activate', 'v9', ...p), 3, /^error release_not_found:/m);
});

test('the CLI: workers register, heartbeat, drain, undrain, list', async (t) => {
  const { coordinator, cli } = await coordinatorCli(t);
  const p = ['--pipeline', PIPELINE];
  const active = json(await cli('releases', 'active', ...p, '--json'));
  const pin = ['--contract-version', active.contractVersion, '--release-version', active.releaseVersion];

  const registered = ok(
    await cli(
      'workers',
      'register',
      ...p,
      '--worker-id',
      'w1',
      ...pin,
      '--protocol',
      'rest',
      '--endpoint',
      'http://127.0.0.1:9/',
    ),
  );
  assert.match(registered, /^worker\s+w1$/m);
  assert.match(registered, /^state\s+HEALTHY$/m);
  assert.match(registered, /^protocol\s+rest$/m);
  const [heartbeat, drained, unknown, badProtocol, forbidden] = await Promise.all([
    cli('workers', 'heartbeat', 'w1', ...p).then(ok),
    cli('workers', 'drain', 'w1', ...p, '--json').then(json),
    cli('workers', 'drain', 'no-such-worker', ...p),
    cli('workers', 'register', ...p, '--worker-id', 'w2', ...pin, '--protocol', 'pigeon', '--endpoint', 'x'),
    cliWith({ CAPSTAN_URL: coordinator.baseUrl, CAPSTAN_TOKEN: OPERATOR_TOKEN })('workers', 'list', ...p),
  ]);
  assert.match(heartbeat, /^heartbeat\s+\d{4}-\d\d-\d\dT/m);
  assert.equal(drained.workerId, 'w1');
  assert.equal(drained.state, 'DRAINING');
  assert.equal(typeof drained.drainingSinceEpochMs, 'number');
  fails(unknown, 3, /^error worker_not_found:/m);
  fails(badProtocol, 5, /^error invalid_request:/m);
  fails(forbidden, 6, /^error forbidden:/m);

  // A worker's own token opens its heartbeat, and nothing an admin does.
  const tokens = JSON.parse(readFileSync(join(coordinator.dataDir, 'tokens.json'), 'utf8')) as {
    worker: string;
  };
  const asWorker = cliWith({ CAPSTAN_URL: coordinator.baseUrl, CAPSTAN_WORKER_TOKEN: tokens.worker });
  const [workerBeat, workerDrain] = await Promise.all([
    asWorker('workers', 'heartbeat', 'w1', ...p, '--json').then(json),
    asWorker('workers', 'drain', 'w1', ...p),
  ]);
  assert.equal(workerBeat.workerId, 'w1');
  fails(workerDrain, 6, /^error (unauthorized|forbidden):/m);

  const [listed, listedJson, undrained] = await Promise.all([
    cli('workers', 'list', ...p).then(ok),
    cli('workers', 'list', ...p, '--release-version', active.releaseVersion, '--json').then(json),
    cli('workers', 'undrain', 'w1', ...p, '--json').then(json),
  ]);
  assert.match(listed.split('\n')[0] ?? '', /^WORKER\s+STATE\s+RELEASE\s+PROTOCOL\s+ENDPOINT\s+HEARTBEAT$/);
  assert.match(listed, /^w1\s+DRAINING\s/m);
  assert.ok(listedJson.some((w: { workerId: string }) => w.workerId === 'w1'));
  assert.equal(undrained.state, 'HEALTHY');
  assert.deepEqual(
    json(await cli('workers', 'list', ...p, '--release-version', 'no-such-release', '--json')),
    [],
  );
});
