/**
 * `npm run bench`: Capstan's W1–W4 and the scale runs on SQLite and PostgreSQL with durable
 * settings, one run at a time (the machine has 2 cores: overlapping runs would measure each
 * other), each W1–W4 run on a fresh store, `--repeats` times. Prints tables, writes JSON;
 * `--compare` adds the anchors and the ratios. See docs/performance.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { anchorsScript, runAnchors, type AnchorRun } from './lib/anchors.ts';
import { durabilitySettings } from './lib/durability.ts';
import { parseOptions, USAGE, type BenchOptions, type Scenario, type StoreKind } from './lib/options.ts';
import { ratios, type AnchorRatio } from './lib/ratios.ts';
import { repeated } from './lib/repeats.ts';
import { renderRatios, renderTables, type ScenarioResult } from './lib/report.ts';
import { nodeRuntime, ROOT, type NodeRuntime } from './lib/runtime.ts';
import { freshTarget, type StoreTarget } from './lib/store-target.ts';
import { renderCliStartup, runCliStartup } from './scenarios/cli-startup.ts';
import { runScale } from './scenarios/scale.ts';
import { runW1 } from './scenarios/w1.ts';
import { runW2 } from './scenarios/w2.ts';
import { runW3 } from './scenarios/w3.ts';
import { runW4 } from './scenarios/w4.ts';

/** One run of a W scenario, on a store of its own. */
async function onFreshStore<T>(
  scenario: string,
  store: StoreKind,
  options: BenchOptions,
  run: (target: StoreTarget) => Promise<T>,
): Promise<T> {
  const target = freshTarget(store, options.pgUrl, scenario);
  try {
    return await run(target);
  } finally {
    await target.dispose();
  }
}

async function runScenario(
  scenario: Scenario,
  store: StoreKind,
  options: BenchOptions,
  runtime: NodeRuntime,
): Promise<ScenarioResult> {
  const { n, repeats } = options;
  const each = <T extends object>(run: (target: StoreTarget) => Promise<T>) =>
    repeated(repeats, () => onFreshStore(scenario, store, options, run));
  switch (scenario) {
    case 'w1':
      return { scenario, store, ...(await each((t) => runW1(runtime, t, n))) };
    case 'w2':
      return { scenario, store, ...(await each((t) => runW2(runtime, t, n))) };
    case 'w3':
      return { scenario, store, ...(await each((t) => runW3(runtime, t, n))) };
    case 'w4':
      return { scenario, store, ...(await each((t) => runW4(runtime, t, n))) };
    case 'scale':
      return {
        scenario,
        store,
        ...(await runScale(runtime, store, {
          n,
          repeats,
          levels: options.scaleLevels,
          pgUrl: options.pgUrl,
        })),
      };
  }
}

function machine(runtime: NodeRuntime) {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.release()}`,
    /** The Node of the benchmark's own process (client, seeding). */
    node: process.version,
    /** The Node Capstan's processes ran on, and the tree they ran from. */
    capstanNode: runtime.version,
    capstanNodeBinary: runtime.node,
    capstanRoot: runtime.root,
  };
}

function masked(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.href;
}

async function main(): Promise<void> {
  let options: BenchOptions;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (options.compare) {
    // Before minutes of Capstan's scenarios, not after them.
    try {
      anchorsScript();
    } catch (error) {
      console.error((error as Error).message);
      process.exit(2);
    }
  }
  const runtime = nodeRuntime(options);
  process.stderr.write(`Capstan's processes run on Node ${runtime.version} from ${runtime.root}\n`);
  const startedAt = new Date();
  // Other work on the machine skews every figure; the load average says how busy it was.
  const loadBefore = os.loadavg();
  const durability: Partial<Record<StoreKind, Record<string, string>>> = {};
  for (const store of options.stores) durability[store] = await durabilitySettings(store, options.pgUrl);

  // First, on a machine not yet warmed by the scenarios' processes.
  process.stderr.write(`cli-startup: capstan --version, ${options.cliRuns} runs…\n`);
  const cliStartup = runCliStartup(runtime, options.cliRuns);

  const results: ScenarioResult[] = [];
  for (const scenario of options.scenarios) {
    for (const store of options.stores) {
      process.stderr.write(`${scenario} on ${store} (N = ${options.n}, ${options.repeats} run(s))…\n`);
      const t0 = performance.now();
      results.push(await runScenario(scenario, store, options, runtime));
      process.stderr.write(
        `${scenario} on ${store} done in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
      );
    }
  }
  const loadAfter = os.loadavg();
  console.log(`\n${renderTables(results)}`);
  console.log(renderCliStartup(cliStartup));

  let compare: { anchors: Omit<AnchorRun, 'rows'>; ratios: AnchorRatio[] } | { error: string } | undefined;
  if (options.compare) {
    process.stderr.write(`anchors: the harness's run.sh ${options.n}…\n`);
    try {
      const run = await runAnchors(options.n, options.quick);
      compare = {
        anchors: { rawFile: run.rawFile, wallS: run.wallS, env: run.env, node: run.node },
        ratios: ratios(results, run.rows),
      };
      console.log(`\n${renderRatios(compare.ratios, options.stores)}`);
      console.log(
        `anchors ran on Node ${run.node}, Capstan on ${runtime.version}; they took ${run.wallS.toFixed(0)} s; raw results in ${run.rawFile}`,
      );
    } catch (error) {
      // Capstan's figures are still worth keeping: they are written, and the run fails after.
      compare = { error: (error as Error).message };
      process.exitCode = 1;
      console.error(`\nthe anchors did not run: ${compare.error}`);
    }
  }

  const file = resolve(
    options.json ?? join(ROOT, 'bench/results', `${startedAt.toISOString().replace(/[:.]/g, '-')}.json`),
  );
  mkdirSync(dirname(file), { recursive: true });
  const report = {
    version: 1,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    command: ['npm', 'run', 'bench', '--', ...process.argv.slice(2)].join(' '),
    machine: { ...machine(runtime), loadAverage1mBefore: loadBefore[0], loadAverage1mAfter: loadAfter[0] },
    // A password in the URL must not end up in a results file.
    options: { ...options, pgUrl: masked(options.pgUrl) },
    durability,
    results,
    cliStartup,
    ...(compare ? { compare } : {}),
  };
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nresults: ${relative(process.cwd(), file)}`);
}

await main();
