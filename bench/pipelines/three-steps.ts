/**
 * W1 and W3: three trivial sequential steps, the anchors harness's common workload (step1 x = 2i,
 * step2 y = x + 1, step3 z = 3y). Every step's output is checkpointed before the next runs.
 */
import { z } from 'zod';
import { definePipeline } from '../../src/sdk/index.ts';

export const THREE_STEPS_ID = 'bench-three-steps';

/** What step3 must return for input `i`: the check that all three steps ran on the right data. */
export const expectedZ = (i: number): number => (i * 2 + 1) * 3;

export default definePipeline({ id: THREE_STEPS_ID, input: z.object({ i: z.number().int() }) })
  .step('step1', { output: z.object({ x: z.number() }), run: ({ i }) => ({ x: i * 2 }) })
  .step('step2', { output: z.object({ y: z.number() }), run: ({ x }) => ({ y: x + 1 }) })
  .step('step3', { output: z.object({ z: z.number() }), run: ({ y }) => ({ z: y * 3 }) });
