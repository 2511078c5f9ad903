import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostLocalPipelines } from '../../coordinator/host-local-pipelines.ts';
import { contractChanges } from '../../releases/contract-changes.ts';
import { loadFreshPipelines } from '../../releases/fresh-pipelines.ts';
import { moduleFiles } from '../../releases/load-pipelines.ts';
import type { PipelineContract } from '../../releases/pipeline-contract.ts';
import type { ServeOptions } from '../command-options.ts';
import { FileWatch } from '../watch-files.ts';
import { stopOnSignals } from '../stop-on-signals.ts';
import { startCoordinator, type RunningCoordinator } from './serve-coordinator.ts';

// Human lines on stderr, beside the banner: stdout stays the log stream (README, "Logs").
const say = (line: string): void => void process.stderr.write(`[dev] ${line}\n`);
const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * `capstan dev`: `serve` with its pipelines watched. A save builds the files again, registers the
 * release and activates it; releases with live executions stay hosted (the local worker never
 * drops one), so a parked execution finishes on the code it started on. A build that fails is
 * reported and changes nothing: the previous release keeps serving.
 */
export async function runDev(options: ServeOptions & { pipelines: string[] }): Promise<void> {
  const files = options.pipelines.flatMap((target) => moduleFiles(target));
  const bundles = await mkdtemp(join(tmpdir(), 'capstan-dev-'));
  const signals = stopOnSignals();
  let first: Awaited<ReturnType<typeof loadFreshPipelines>>;
  let running: Awaited<ReturnType<typeof startCoordinator>>;
  try {
    first = await loadFreshPipelines(files, bundles);
    running = await startCoordinator(options, first.sources);
  } catch (error) {
    // A first build or a start that fails leaves no bundles behind.
    await rm(bundles, { recursive: true, force: true });
    throw error;
  }
  const rebuild = serialized(() => buildAndActivate(running, files, bundles, watch));
  const watch = new FileWatch(() => void rebuild());
  watch.set(first.inputs);
  say(`watching ${first.inputs.size} file(s); a save builds, registers and activates a new release`);
  signals.attach({
    ...running,
    close: async () => {
      watch.close();
      await running.close();
      await rm(bundles, { recursive: true, force: true });
    },
  });
}

/** Runs `task` one at a time; calls made while it runs fold into one more run after it. */
function serialized(task: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  let again = false;
  const run = async (): Promise<void> => {
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      do {
        again = false;
        await task();
      } while (again);
    })();
    try {
      await running;
    } finally {
      running = undefined;
    }
  };
  return run;
}

/** One save: build from the files as they are, register, activate, and say what changed. */
async function buildAndActivate(
  running: RunningCoordinator,
  files: readonly string[],
  bundles: string,
  watch: FileWatch,
): Promise<void> {
  const { coordinator, localWorker, artifacts, tenantId } = running;
  const { store } = coordinator;
  let fresh;
  try {
    fresh = await loadFreshPipelines(files, bundles);
  } catch (error) {
    say(`build failed; the previous release keeps serving:\n${messageOf(error)}`);
    return;
  }
  // The imports may have changed: watch what this build read.
  watch.set(fresh.inputs);
  const before = new Map<string, PipelineContract | undefined>();
  for (const { pipeline } of fresh.sources)
    before.set(pipeline.id, (await store.getActiveRelease(tenantId, pipeline.id))?.contract);
  let hosted;
  try {
    hosted = await hostLocalPipelines(coordinator, localWorker, fresh.sources, {
      tenantId,
      nowMs: Date.now(),
      artifacts,
    });
  } catch (error) {
    say(`release failed; the previous release keeps serving: ${messageOf(error)}`);
    return;
  }
  coordinator.wake();
  for (const h of hosted) {
    if (!h.activated) {
      say(`${h.pipelineId}: ${h.releaseVersion} is already the active release`);
      continue;
    }
    const release = await store.getRelease(tenantId, h.pipelineId, h.releaseVersion);
    const changes = release ? contractChanges(before.get(h.pipelineId), release.contract) : [];
    say(
      `${h.pipelineId}: activated ${h.releaseVersion}${changes.length === 0 ? ' (code changed, same contract)' : ''}`,
    );
    for (const line of changes) process.stderr.write(`      ${line}\n`);
  }
  // The releases it replaced stay hosted while they have work: say which, so nothing looks lost.
  const active = new Set(hosted.map((h) => `${h.pipelineId}\u0000${h.releaseVersion}`));
  for (const live of await store.listLiveReleases())
    if (
      live.tenantId === tenantId &&
      hosted.some((h) => h.pipelineId === live.pipelineId) &&
      !active.has(`${live.pipelineId}\u0000${live.releaseVersion}`)
    )
      say(`${live.pipelineId}: ${live.releaseVersion} still hosted for ${live.live} live execution(s)`);
}
