/**
 * W2: the anchors' human-await workload (DBOS `approval`: step1, wait for a message, step2).
 * Here the wait is an await step, answered through `POST /interactions/complete`. step2 works
 * on the response alone: DBOS's step2 reads step1's output from workflow memory, and reading
 * it here (`ctx.outputOf`) would add a store read the anchor does not do.
 */
import { z } from 'zod';
import { definePipeline } from '../../src/sdk/index.ts';

export const AWAIT_APPROVAL_ID = 'bench-await-approval';

export default definePipeline({ id: AWAIT_APPROVAL_ID, input: z.object({ i: z.number().int() }) })
  .step('step1', { output: z.object({ x: z.number() }), run: ({ i }) => ({ x: i * 2 }) })
  // The deadline is far beyond any run, so no interaction times out during the benchmark.
  .await('approve', { response: z.object({ ok: z.boolean() }), deadline: 'P7D', group: 'bench' })
  .step('step2', { output: z.object({ approved: z.boolean() }), run: ({ ok }) => ({ approved: ok }) });
