import assert from 'node:assert/strict';
import { encodeResult } from '../../src/worker-protocol/result-codec.ts';
import type { apiClient } from './coordinator-process.ts';

type Api = ReturnType<typeof apiClient>;

/** The pull worker API, called as a pull worker calls it (worker token), for one worker id. */
export function pullApi(worker: Api, workerId: string, tenantId = 'default') {
  const base = `/tpf/admin/tenants/${tenantId}/workers/${workerId}`;
  return {
    /** Registers `workerId` as a pull worker of the pipeline's active release. */
    async register(admin: Api, pipelineId: string): Promise<void> {
      const active = await admin.call(
        'GET',
        `/tpf/admin/tenants/${tenantId}/pipelines/${pipelineId}/releases/active`,
      );
      assert.equal(active.status, 200, JSON.stringify(active.body));
      const registered = await worker.call(
        'POST',
        `/tpf/admin/tenants/${tenantId}/pipelines/${pipelineId}/workers/register`,
        {
          workerId,
          contractVersion: active.body.contractVersion,
          releaseVersion: active.body.releaseVersion,
          protocol: 'pull',
          endpoint: `pull:${workerId}`,
        },
      );
      assert.equal(registered.status, 200, JSON.stringify(registered.body));
    },
    poll: (max: number, waitMs: number) => worker.call('POST', `${base}/segments/poll`, { max, waitMs }),
    complete: (executionId: string, leaseEpoch: number, result: unknown) =>
      worker.call('POST', `${base}/segments/${executionId}/complete`, { leaseEpoch, result }),
    heartbeat: (leases: { executionId: string; leaseEpoch: number }[]) =>
      worker.call('POST', `${base}/leases/heartbeat`, { leases }),
  };
}

/** The result envelope of a whole run of the slow-charge fixture from step 0, as a worker reports it. */
export function resultOfSlowCharge(n: number): unknown {
  return encodeResult(
    { outcome: 'COMPLETED', stepIndex: 2, output: { n, chargedBy: 7 } },
    { tenantId: 'default', executionId: 'ignored', currentStepIndex: 0 },
    [
      { stepIndex: 0, output: { n } },
      { stepIndex: 1, output: { n } },
    ],
  );
}
