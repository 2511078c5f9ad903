/**
 * W1's (and W4's) coordinator process: a coordinator built as `capstan serve` builds it, driven
 * in-process as the anchors drive theirs (DBOS.startWorkflow, boss.send): N submits from 64
 * concurrent submitters, timed from the first submit to the last SUCCEEDED commit. In-process,
 * because that is the like-for-like comparison with the anchors and the only place the store's
 * group-commit counter can be read; HTTP costs are what W2 and W3 measure. Its segments run on
 * the local worker (W1), or on the REST workers the settings name (W4). Every result is checked
 * afterwards, outside the timing. Prints one JSON line.
 *
 *   node --import tsx bench/scenarios/w1-process.ts '<json: {n, runTag, dataDir, settings, env}>'
 */
import { resolve } from 'node:path';
import { startInProcessCoordinator, TENANT, type CoordinatorSpec } from '../lib/in-process-coordinator.ts';
import { pool, progress } from '../lib/load.ts';
import { ownResources } from '../lib/process-resources.ts';
import { observeSucceeded } from '../lib/succeed-observer.ts';
import threeSteps, { expectedZ, THREE_STEPS_ID } from '../pipelines/three-steps.ts';

const SUBMITTERS = 64;

interface Args extends CoordinatorSpec {
  readonly n: number;
  /** Makes the idempotency keys unique when runs share a store (the scale scenario's repeats). */
  readonly runTag: string;
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;

const shown = progress('w1 succeeded', args.n);
let succeeded = 0;
let allSucceeded: () => void = () => undefined;
const finished = new Promise<void>((done) => (allSucceeded = done));
const host = await startInProcessCoordinator(
  args,
  [{ pipeline: threeSteps, sourceFile: resolve(import.meta.dirname, '../pipelines/three-steps.ts') }],
  (store) =>
    observeSucceeded(store, () => {
      shown.tick();
      if (++succeeded === args.n) allSucceeded();
    }),
);
const { coordinator, store } = host;
await host.ready([THREE_STEPS_ID]);

const durability = await store.durabilitySettings();
const commits0 = store.commits;
const cpu0 = ownResources().cpuS;
const ids: string[] = [];
const t0 = performance.now();
await pool(args.n, SUBMITTERS, async (i) => {
  const { execution } = await coordinator.submit(TENANT, {
    pipelineId: THREE_STEPS_ID,
    input: { i },
    idempotencyKey: `w1-${args.runTag}-${i}`,
  });
  ids[i] = execution.executionId;
});
const submitMs = performance.now() - t0;
await finished;
const wallMs = performance.now() - t0;
shown.stop();
const commits = store.commits - commits0;
const cpuS = ownResources().cpuS - cpu0;

for (const [i, id] of ids.entries()) {
  const x = await store.getExecution(TENANT, id);
  if (x?.status !== 'SUCCEEDED' || (x.result as { z?: unknown } | null)?.z !== expectedZ(i))
    throw new Error(`execution ${i} is ${x?.status} with ${JSON.stringify(x?.result)}`);
}
await host.stop();
console.log(
  JSON.stringify({
    n: args.n,
    wallMs,
    submitMs,
    executionsPerS: args.n / (wallMs / 1000),
    stepsPerS: (3 * args.n) / (wallMs / 1000),
    commits,
    commitsPerExecution: commits / args.n,
    coordinator: { mode: 'in-process', peakRssMb: ownResources().peakRssMb, cpuS },
    durability,
  }),
);
