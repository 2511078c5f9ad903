/**
 * The rows the scale scenario clones: one real finished execution of `bench-three-steps` and
 * one real execution of `bench-await-approval` parked at its await, made by a coordinator
 * built as `capstan serve` builds it, so the seeded rows are shaped exactly as the store
 * writes them. Prints one JSON line with their ids.
 *
 *   node --import tsx bench/scale/template-process.ts '<json: {dataDir, settings}>'
 */
import { resolve } from 'node:path';
import type { Template } from './clone-sql.ts';
import { startInProcessCoordinator, TENANT, type CoordinatorSpec } from '../lib/in-process-coordinator.ts';
import awaitApproval, { AWAIT_APPROVAL_ID } from '../pipelines/await-approval.ts';
import threeSteps, { THREE_STEPS_ID } from '../pipelines/three-steps.ts';

const args = JSON.parse(process.argv[2] ?? '{}') as CoordinatorSpec;
const pipelines = resolve(import.meta.dirname, '../pipelines');
const host = await startInProcessCoordinator(args, [
  { pipeline: threeSteps, sourceFile: `${pipelines}/three-steps.ts` },
  { pipeline: awaitApproval, sourceFile: `${pipelines}/await-approval.ts` },
]);
const { coordinator, store } = host;
await host.ready([THREE_STEPS_ID, AWAIT_APPROVAL_ID]);

/** Polls the store until the execution reaches `status` (a one-off: no need for the result long-poll). */
async function settled(executionId: string, status: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while ((await store.getExecution(TENANT, executionId))?.status !== status) {
    if (Date.now() > deadline) throw new Error(`execution ${executionId} did not reach ${status}`);
    await new Promise((done) => setTimeout(done, 20));
  }
}

const finishedKey = 'scale-template-finished';
const parkedKey = 'scale-template-parked';
const finished = await coordinator.submit(TENANT, {
  pipelineId: THREE_STEPS_ID,
  input: { i: 1 },
  idempotencyKey: finishedKey,
});
const parked = await coordinator.submit(TENANT, {
  pipelineId: AWAIT_APPROVAL_ID,
  input: { i: 1 },
  idempotencyKey: parkedKey,
});
await settled(finished.execution.executionId, 'SUCCEEDED');
await settled(parked.execution.executionId, 'WAITING_EXTERNAL');
const [interaction] = await store.listPendingInteractions(TENANT, { group: 'bench', limit: 10 });
if (!interaction) throw new Error('the parked execution has no pending interaction');
await host.stop();
console.log(
  JSON.stringify({
    finishedExecutionId: finished.execution.executionId,
    parkedExecutionId: parked.execution.executionId,
    interactionId: interaction.interactionId,
    unitId: interaction.unitId,
    finishedKey,
    parkedKey,
  } satisfies Template),
);
