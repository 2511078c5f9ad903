import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { until } from './eventually.ts';
import { ADMIN_TOKEN, apiClient, OPERATOR_TOKEN, type CoordinatorProcess } from './coordinator-process.ts';
import { APPROVED_ORDER_HISTORY } from './restaurant-order.ts';
import { TpfDemoClient } from './tpf-demo-client.ts';
import type { WorkerProcess } from './worker-process.ts';
import { ranOn } from './worker-routing.ts';

/**
 * TPF's demo client against a coordinator whose segments run on `worker`, whatever carries
 * them: the accepted and declined orders, then the incident (DLQ, triage, re-drive that fails
 * again on the worker). Asserts each outcome, that every segment ran on the worker, that steps
 * were checkpointed one by one, and that the worker refused no call.
 */
export async function runTpfFlowsOnWorker(
  t: TestContext,
  coordinator: CoordinatorProcess,
  worker: WorkerProcess,
): Promise<void> {
  const client = new TpfDemoClient({
    baseUrl: coordinator.baseUrl,
    controlPlaneToken: OPERATOR_TOKEN,
    adminToken: ADMIN_TOKEN,
    pipelineId: 'restaurant-approval',
    awaitStepId: 'await-restaurant-decision',
    log: (line) => t.diagnostic(line),
  });
  const flows = await client.runFlows();
  assert.deepEqual(
    flows.map((f) => [f.decision, f.result.outcome]),
    [
      ['accepted', 'APPROVED'],
      ['declined', 'DECLINED'],
    ],
  );
  const triage = await client.runIncident((executionId) =>
    until(`the DLQ log line of ${executionId}`, () =>
      coordinator
        .output()
        .split('\n')
        .some((l) => l.includes('Execution moved to DLQ') && l.includes(executionId)),
    ),
  );
  assert.equal(triage.firstFailureStatus, 'DLQ');
  assert.equal(triage.errorCode, 'decision_order_mismatch');
  assert.equal(triage.redrive.previousStatus, 'DLQ');
  assert.equal(triage.status, 'DLQ', 'the replay failed again, on the worker');

  for (const { executionId } of [...flows, triage])
    assert.ok(await ranOn(worker, executionId), `${executionId} ran on the worker`);
  const history = await apiClient(coordinator.baseUrl).call(
    'GET',
    `/tpf/control-plane/tenants/default/executions/${flows[0]?.executionId}/history`,
  );
  assert.deepEqual(
    (history.body.events as { type: string }[]).map((e) => e.type),
    APPROVED_ORDER_HISTORY,
  );
  assert.doesNotMatch(worker.output(), /worker call refused/);
}
