/**
 * docs/runbooks.md, runbooks 1 to 3, rehearsed: every block tagged `rehearsal=…` runs as the
 * page writes it, against a real `capstan serve` on SQLite, and each check the page tells the
 * operator to make is asserted on what the commands printed. Runbook 4 (database failover) is
 * runbook-failover.test.ts.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { runCapstan } from '../support/cli-run.ts';
import { ADMIN_TOKEN, apiClient, startCoordinatorProcess } from '../support/coordinator-process.ts';
import { eventually } from '../support/eventually.ts';
import { startKitchen } from '../support/kitchen-server.ts';
import { newOrder } from '../support/restaurant-order.ts';
import { runbookCommands, runOf, runRunbook } from '../support/runbook-blocks.ts';
import { cli, fieldsOf, operatorEnv, resultOf, rowsOf, tempDir } from '../support/runbook-output.ts';
import { spawnProcess } from '../support/spawned-process.ts';
import { WORKER_TOKEN } from '../support/worker-process.ts';

const DOC = 'docs/runbooks.md';
const ROOT = resolve(import.meta.dirname, '../..');
const RESTAURANT_V2 = join(ROOT, 'test/fixtures/restaurant-v2/pipeline.ts');
const KITCHEN = join(ROOT, 'test/fixtures/kitchen-pipeline/pipeline.ts');

test('runbook 1: register and activate a release; executions under way keep their release', async (t) => {
  const coordinator = await startCoordinatorProcess(t, {
    env: { TEST_WORKER_TOKEN: WORKER_TOKEN, PIPELINE_ORCHESTRATOR_WORKER_TOKEN_REF: 'env:TEST_WORKER_TOKEN' },
  });
  const api = apiClient(coordinator.baseUrl);
  const dir = tempDir(t);
  const env = operatorEnv(dir, coordinator.baseUrl);
  const run = cli(env);
  // An order under way on the release `serve` activated, parked at its await step.
  const underWay = await api.submit({ pipelineId: 'restaurant-approval', input: newOrder() });
  assert.equal(underWay.status, 200, JSON.stringify(underWay.body));
  const underWayId = underWay.body.executionId as string;
  assert.equal((await api.result(underWayId)).body.status.status, 'WAITING_EXTERNAL');
  const orderFile = join(dir, 'order.json');
  writeFileSync(orderFile, JSON.stringify(newOrder()));
  const vars: Record<string, string> = {
    PIPELINE_FILE: RESTAURANT_V2,
    RELEASE_DIR: join(dir, 'release'),
    ORDER_FILE: orderFile,
    WORKER_ID: 'worker-v2',
    CAPSTAN_URL: coordinator.baseUrl,
  };

  // Step 1: build and register; the version read from the answer is the one built.
  const registered = await runRunbook(DOC, 'register-release', vars, run);
  assert.equal(vars.PREVIOUS, underWay.body.releaseVersion);
  const built = fieldsOf(runOf(registered, 'release build').stdout);
  const shown = fieldsOf(runOf(registered, 'release show').stdout);
  assert.equal(vars.RELEASE, built.get('release'));
  assert.notEqual(vars.RELEASE, vars.PREVIOUS);
  assert.equal(shown.get('status'), 'REGISTERED');
  assert.equal(shown.get('release'), vars.RELEASE);
  assert.equal(shown.get('contract'), built.get('contract'));
  assert.equal(shown.get('digest'), built.get('artifact'));

  // Step 2: a worker for the release, run as the page says, until it is HEALTHY.
  const [workerArgs = []] = runbookCommands(DOC, 'release-worker', vars);
  const worker = spawnProcess(process.execPath, [join(ROOT, 'bin/capstan.mjs'), ...workerArgs], {
    cwd: ROOT,
    env: {
      ...env,
      CAPSTAN_WORKER_TOKEN: WORKER_TOKEN,
      CAPSTAN_WORKER_HEARTBEAT_INTERVAL: 'PT1S',
      PIPELINE_ORCHESTRATOR_RELEASES_STORAGE_ROOT: join(dir, 'worker-artifacts'),
    },
  });
  t.after(() => worker.kill('SIGKILL'));
  await worker.waitFor(/Capstan worker worker-v2 pulling from/, 'the release worker');
  // Polled over the API (a CLI process per poll is slow), then checked as the page says.
  const admin = apiClient(coordinator.baseUrl, ADMIN_TOKEN);
  await eventually('the release worker HEALTHY', async () => {
    const listed = await admin.call(
      'GET',
      '/tpf/admin/tenants/default/pipelines/restaurant-approval/workers',
    );
    return listed.body?.some?.(
      (w: { workerId: string; state: string }) => w.workerId === 'worker-v2' && w.state === 'HEALTHY',
    )
      ? true
      : undefined;
  });
  const [listedWorkers] = await runRunbook(DOC, 'check-workers', vars, run);
  const workers = rowsOf(listedWorkers?.stdout ?? '');
  assert.deepEqual(
    workers.map((r) => [r.WORKER, r.STATE, r.RELEASE]),
    [['worker-v2', 'HEALTHY', vars.RELEASE]],
  );

  // Step 3: activate; `active` names the release, contract and artifact registered.
  const activated = await runRunbook(DOC, 'activate-release', vars, run);
  const active = fieldsOf(runOf(activated, 'release active').stdout);
  assert.equal(active.get('release'), vars.RELEASE);
  assert.equal(active.get('status'), 'ACTIVE');
  assert.equal(active.get('contract'), built.get('contract'));
  assert.equal(active.get('digest'), built.get('artifact'));
  const pipeline = rowsOf(runOf(activated, 'pipelines').stdout).find(
    (r) => r.PIPELINE === 'restaurant-approval',
  );
  assert.equal(pipeline?.['ACTIVE RELEASE'], vars.RELEASE);
  assert.equal(pipeline?.HOSTED, 'yes');

  // Step 4: the canary runs on the new release, on its worker.
  const canary = await runRunbook(DOC, 'canary', vars, run);
  const canaryId = vars.CANARY as string;
  assert.deepEqual(resultOf(runOf(canary, 'result'), canaryId), { outcome: 'APPROVED' });
  assert.equal(fieldsOf(runOf(canary, 'status').stdout).get('release'), vars.RELEASE);

  // The order under way is still pinned to the previous release, and finishes there.
  const previous = await runRunbook(DOC, 'previous-release', vars, run);
  const [left] = rowsOf(runOf(previous, 'list').stdout);
  assert.deepEqual(
    [left?.EXECUTION, left?.STATUS, left?.RELEASE],
    [underWayId, 'WAITING_EXTERNAL', vars.PREVIOUS],
  );
  const [interaction] = (await api.pending()).body as {
    interactionId: string;
    requestPayload: { orderId: string };
  }[];
  assert.ok(interaction);
  const completed = await api.complete({
    interactionId: interaction.interactionId,
    response: {
      accepted: { orderId: interaction.requestPayload.orderId, decidedAt: '2026-01-01T12:00:00Z' },
    },
  });
  assert.equal(completed.status, 200, JSON.stringify(completed.body));
  const finished = await api.result(underWayId);
  assert.equal(finished.body.status.status, 'SUCCEEDED');
  assert.equal(finished.body.status.releaseVersion, vars.PREVIOUS);
  assert.equal(
    finished.body.result.orderId,
    interaction.requestPayload.orderId,
    'the previous release’s result',
  );
  const drained = await runRunbook(DOC, 'previous-release', vars, run);
  assert.equal(runOf(drained, 'list').stdout.trim(), '(none)');
});

test('runbook 2: submit, find the parked interaction, complete it, read the result', async (t) => {
  const coordinator = await startCoordinatorProcess(t);
  const api = apiClient(coordinator.baseUrl);
  const dir = tempDir(t);
  const run = cli(operatorEnv(dir, coordinator.baseUrl));
  // Another order already waits in the inbox: the page's filter must pick the right one.
  const other = await api.submit({ pipelineId: 'restaurant-approval', input: newOrder() });
  assert.equal((await api.result(other.body.executionId as string)).body.status.status, 'WAITING_EXTERNAL');
  const order = newOrder();
  const orderFile = join(dir, 'order.json');
  writeFileSync(orderFile, JSON.stringify(order));
  const vars: Record<string, string> = {
    ORDER_FILE: orderFile,
    ORDER_KEY: `order-${randomUUID()}`,
    ACTOR: 'ops@example.com',
  };

  const submitted = await runRunbook(DOC, 'submit-await', vars, run);
  const executionId = vars.EXECUTION_ID as string;
  assert.match(executionId, /^[0-9a-f-]{36}$/);
  assert.match(runOf(submitted, 'result').stdout, /no result: the execution is WAITING_EXTERNAL$/m);
  const status = fieldsOf(runOf(submitted, 'status').stdout);
  assert.equal(status.get('status'), 'WAITING_EXTERNAL (waiting for interaction)');
  assert.equal(status.get('step'), '2 (await-restaurant-decision)');
  // The same key and input return the same execution.
  const again = await api.submit({
    pipelineId: 'restaurant-approval',
    input: order,
    idempotencyKey: vars.ORDER_KEY,
  });
  assert.deepEqual([again.body.executionId, again.body.duplicate], [executionId, true]);

  const found = await runRunbook(DOC, 'find-interaction', vars, run);
  const inbox = rowsOf(runOf(found, 'pending').stdout);
  assert.equal(inbox.length, 2);
  const mine = inbox.find((r) => r.EXECUTION === executionId);
  assert.equal(mine?.INTERACTION, vars.INTERACTION_ID);
  assert.ok(Date.parse(mine?.DEADLINE ?? '') > Date.now(), 'its deadline is in the future');
  const [open] = (await api.pending()).body.filter(
    (i: { executionId: string }) => i.executionId === executionId,
  );
  assert.equal(vars.ORDER_ID, open.requestPayload.orderId);

  const done = await runRunbook(DOC, 'complete-await', vars, run);
  const completion = fieldsOf(runOf(done, 'complete').stdout);
  assert.equal(completion.get('status'), 'COMPLETED');
  assert.equal(completion.get('execution'), executionId);
  const result = resultOf(runOf(done, 'result'), executionId);
  assert.deepEqual(
    [result.outcome, result.orderId, result.restaurantStatus],
    ['APPROVED', vars.ORDER_ID, 'ACCEPTED'],
  );
  const journal = await api.call(
    'GET',
    `/tpf/control-plane/tenants/default/executions/${executionId}/history`,
  );
  const answered = journal.body.events.find((e: { type: string }) => e.type === 'interaction_completed');
  assert.equal(answered?.data?.actor, vars.ACTOR);
  // The other order is still waiting.
  assert.equal((await api.status(other.body.executionId as string)).body.status, 'WAITING_EXTERNAL');
});

test('runbook 3: a downstream outage sends executions to the DLQ and FAILED; fixed, they are re-driven to success', async (t) => {
  const kitchen = await startKitchen(t);
  const coordinator = await startCoordinatorProcess(t, {
    pipelines: [KITCHEN],
    env: {
      CAPSTAN_TEST_KITCHEN_URL: kitchen.url,
      PIPELINE_ORCHESTRATOR_MAX_RETRIES: '1',
      PIPELINE_ORCHESTRATOR_RETRY_DELAY: 'PT0.1S',
    },
  });
  const api = apiClient(coordinator.baseUrl);
  const dir = tempDir(t);
  const run = cli(operatorEnv(dir, coordinator.baseUrl));
  const submit = async (pipelineId: string, expected: string) => {
    const r = await api.submit({ pipelineId, input: { orderId: randomUUID(), items: '2x pasta' } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const id = r.body.executionId as string;
    const settled = await eventually(`${id} to end ${expected}`, async () => {
      const status = (await api.result(id, 2000)).body.status.status as string;
      return ['DLQ', 'FAILED', 'SUCCEEDED'].includes(status) ? status : undefined;
    });
    assert.equal(settled, expected);
    return id;
  };
  const dlqId = await submit('kitchen-ticket', 'DLQ');
  const failedId = await submit('kitchen-ticket-no-dlq', 'FAILED');
  const vars: Record<string, string> = {
    PIPELINE: 'kitchen-ticket',
    ERROR_CODE: 'kitchen_unavailable',
    REASON: 'kitchen back after INC-1234',
    FAILED_ID: failedId,
  };

  // Step 1: find it.
  const found = await runRunbook(DOC, 'triage-find', vars, run);
  assert.equal(vars.EXECUTION_ID, dlqId);
  const listed = rowsOf(runOf(found, 'list').stdout);
  assert.deepEqual(
    listed.map((r) => [r.EXECUTION, r.STATUS, r.ERROR]),
    [[dlqId, 'DLQ', 'kitchen_unavailable']],
  );

  // Step 2: what happened, from status, history, the fingerprint list and the log.
  const inspected = await runRunbook(DOC, 'triage-inspect', vars, run);
  const status = fieldsOf(runOf(inspected, 'status').stdout);
  assert.equal(status.get('status'), 'DLQ');
  assert.equal(status.get('step'), '0 (send-to-kitchen)');
  assert.equal(status.get('attempt'), '1');
  assert.equal(status.get('error'), 'kitchen_unavailable: the kitchen answered 503');
  assert.equal(status.get('dlq reason'), 'retry_exhausted');
  assert.match(runOf(inspected, 'status').stdout, /^stack of the failure$/m);
  assert.deepEqual(
    rowsOf(runOf(inspected, 'history').stdout).map((r) => r.TYPE),
    ['submitted', 'attempt_started', 'retry_scheduled', 'attempt_started', 'moved_to_dlq'],
  );
  assert.deepEqual(
    rowsOf(runOf(inspected, 'list').stdout).map((r) => r.EXECUTION),
    [dlqId],
  );
  const log = coordinator.stdout();
  const lines = log.split('\n').filter((l) => l.includes(dlqId));
  assert.ok(
    lines.some((l) => l.includes('"event":"step.retry_scheduled"')),
    log,
  );
  assert.ok(
    lines.some((l) => l.includes('"event":"execution.moved_to_dlq"')),
    log,
  );
  assert.ok(
    lines.some((l) => l.includes(`Execution moved to DLQ: tenant=default execution=${dlqId}`)),
    log,
  );

  // Step 3: fix the cause. Step 4: every try carried the one key the kitchen dedupes by.
  kitchen.up = true;
  const keyOf = (id: string) => `${id}:send-to-kitchen`;
  assert.deepEqual(
    kitchen.calls.filter((c) => c.idempotencyKey.startsWith(dlqId)).map((c) => c.idempotencyKey),
    [keyOf(dlqId), keyOf(dlqId)],
  );

  // Step 5: re-drive; it finishes, and the kitchen took the ticket once.
  const redriven = await runRunbook(DOC, 'triage-redrive', vars, run);
  const moved = fieldsOf(runOf(redriven, 'redrive').stdout);
  assert.deepEqual(
    [moved.get('execution'), moved.get('status'), moved.get('attempt')],
    [dlqId, 'DLQ -> QUEUED', '0'],
  );
  assert.deepEqual(resultOf(runOf(redriven, 'result'), dlqId), {
    ticketId: kitchen.tickets.get(keyOf(dlqId)),
  });
  assert.deepEqual(
    kitchen.calls.filter((c) => c.idempotencyKey === keyOf(dlqId)).map((c) => c.accepted),
    [false, false, true],
  );
  await eventually('the re-drive in the log', () =>
    coordinator
      .stdout()
      .includes(`"event":"execution.redriven","tenantId":"default","executionId":"${dlqId}"`)
      ? true
      : undefined,
  );

  // FAILED is re-driven only with --allow-failed.
  const refused = await runCapstan(operatorEnv(dir, coordinator.baseUrl), ['redrive', failedId]);
  assert.equal(refused.code, 4);
  assert.match(refused.stderr, /^error execution_state_conflict: /);
  const failedRedriven = await runRunbook(DOC, 'triage-redrive-failed', vars, run);
  assert.equal(fieldsOf(runOf(failedRedriven, 'redrive').stdout).get('status'), 'FAILED -> QUEUED');
  assert.deepEqual(resultOf(runOf(failedRedriven, 'result'), failedId), {
    ticketId: kitchen.tickets.get(keyOf(failedId)),
  });
});
