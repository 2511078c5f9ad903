import { setTimeout as sleep } from 'node:timers/promises';
import { ADMIN_TOKEN, apiClient, type CoordinatorProcess } from './coordinator-process.ts';
import type { WorkerProcess } from './worker-process.ts';

export interface WorkerDto {
  workerId: string;
  protocol: string;
  endpoint: string;
  contractVersion: string;
  releaseVersion: string;
  artifactDigest: string | null;
  state: string;
}

const workersPath = (pipelineId: string) => `/tpf/admin/tenants/default/pipelines/${pipelineId}/workers`;

/** The workers the coordinator lists for a pipeline, with their computed states. */
export async function workersOf(
  coordinator: CoordinatorProcess,
  pipelineId = 'restaurant-approval',
): Promise<WorkerDto[]> {
  return (await apiClient(coordinator.baseUrl, ADMIN_TOKEN).call('GET', workersPath(pipelineId)))
    .body as WorkerDto[];
}

/** Waits until the coordinator lists the worker in this state. */
export async function waitForWorkerState(
  coordinator: CoordinatorProcess,
  workerId: string,
  state: string,
  pipelineId = 'restaurant-approval',
): Promise<WorkerDto> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const found = (await workersOf(coordinator, pipelineId)).find((w) => w.workerId === workerId);
    if (found?.state === state) return found;
    if (Date.now() > deadline) throw new Error(`${workerId} is not ${state}: ${JSON.stringify(found)}`);
    await sleep(100);
  }
}

/** The executions a worker ran a segment of, from its `transition` log lines. */
export const executionsRunBy = (worker: WorkerProcess): Set<string> =>
  new Set(
    worker
      .output()
      .split('\n')
      .filter((line) => line.includes('"msg":"transition"'))
      .map((line) => (JSON.parse(line) as { executionId: string }).executionId),
  );

/** Waits for the worker's `transition` line of this execution (its log may trail the result). */
export async function ranOn(worker: WorkerProcess, executionId: string): Promise<boolean> {
  const deadline = Date.now() + 5_000;
  while (!executionsRunBy(worker).has(executionId)) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}
