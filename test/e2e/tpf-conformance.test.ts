/**
 * TPF conformance: TPF's restaurant demo client (`run-flows`, `run-incident`), re-created in
 * test/support/tpf-demo-client.ts, runs unchanged against a real coordinator process. Its only
 * parameters are the base URL, the two tokens, the pipeline id and the await step id; what
 * Capstan deliberately does differently is listed in docs/compat.md.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import {
  ADMIN_TOKEN,
  OPERATOR_TOKEN,
  startCoordinatorProcess,
  type CoordinatorProcess,
} from '../support/coordinator-process.ts';
import { TpfDemoClient } from '../support/tpf-demo-client.ts';

const PIPELINE_ID = 'restaurant-approval';
const AWAIT_STEP_ID = 'await-restaurant-decision';

function demoClient(
  t: TestContext,
  coordinator: CoordinatorProcess,
  tokens: { operator: string; admin: string },
): TpfDemoClient {
  return new TpfDemoClient({
    baseUrl: coordinator.baseUrl,
    controlPlaneToken: tokens.operator,
    adminToken: tokens.admin,
    pipelineId: PIPELINE_ID,
    awaitStepId: AWAIT_STEP_ID,
    log: (line) => t.diagnostic(line),
  });
}

/** TPF's `wait_log_contains`: the DLQ line naming the execution, within 20 s. */
function dlqLogLine(coordinator: CoordinatorProcess, onFound: (line: string) => void) {
  return async (executionId: string): Promise<void> => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const line = coordinator
        .output()
        .split('\n')
        .find((l) => l.includes('Execution moved to DLQ') && l.includes(executionId));
      if (line !== undefined) return onFound(line);
      if (Date.now() >= deadline) {
        throw new Error(`no 'Execution moved to DLQ' log line for ${executionId}:\n${coordinator.output()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };
}

function assertFlows(flows: Awaited<ReturnType<TpfDemoClient['runFlows']>>): void {
  assert.deepEqual(
    flows.map((f) => [f.decision, f.result.outcome, f.result.restaurantStatus]),
    [
      ['accepted', 'APPROVED', 'ACCEPTED'],
      ['declined', 'DECLINED', 'DECLINED'],
    ],
  );
  assert.notEqual(flows[0]?.executionId, flows[1]?.executionId);
}

test('run-flows: accepted → APPROVED and declined → DECLINED, as TPF’s client sends them', async (t) => {
  const coordinator = await startCoordinatorProcess(t);
  const flows = await demoClient(t, coordinator, {
    operator: OPERATOR_TOKEN,
    admin: ADMIN_TOKEN,
  }).runFlows();
  assertFlows(flows);
});

test('run-incident: an invalid decision fails terminally, is logged to the DLQ, re-driven, fails again', async (t) => {
  // TPF's run-self-hosted-incident.sh starts its coordinator with max-retries 0.
  const coordinator = await startCoordinatorProcess(t, { env: { PIPELINE_ORCHESTRATOR_MAX_RETRIES: '0' } });
  let logLine = '';
  const triage = await demoClient(t, coordinator, {
    operator: OPERATOR_TOKEN,
    admin: ADMIN_TOKEN,
  }).runIncident(dlqLogLine(coordinator, (line) => (logLine = line)));
  t.diagnostic(`triage: ${JSON.stringify(triage)}`);
  // TPF marks the execution FAILED (and never writes DLQ); Capstan writes the DLQ status it means.
  assert.equal(triage.firstFailureStatus, 'DLQ');
  assert.equal(triage.status, 'DLQ');
  assert.equal(triage.errorCode, 'decision_order_mismatch');
  assert.match(triage.errorMessage, /not-a-uuid/);
  assert.match(logLine, new RegExp(`execution=${triage.executionId}\\b`));
  assert.equal(triage.redrive.previousStatus, 'DLQ');
  assert.equal(triage.redrive.status, 'QUEUED');
  assert.equal(triage.redrive.executionId, triage.executionId);
  assert.ok((triage.redrive.version as number) > triage.firstFailureVersion);
  assert.ok(triage.version > (triage.redrive.version as number), 'the replay failed again, later');
});

test('run-flows against `npm start` exactly, with the tokens it generated', async (t) => {
  const coordinator = await startCoordinatorProcess(t, { npmStart: true });
  const tokens = JSON.parse(readFileSync(join(coordinator.dataDir, 'tokens.json'), 'utf8')) as {
    operator: string;
    admin: string;
  };
  assertFlows(await demoClient(t, coordinator, tokens).runFlows());
});
