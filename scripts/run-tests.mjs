// Runs every test file under test/ with node's test runner and tsx's loader, folder by folder:
// the in-process ones first, then those that spawn real processes. `npm test -- store engine`
// runs some folders, `npm test -- e2e/cli.test.ts` one file.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { distIsStale } from './dist-freshness.mjs';

const FOLDERS = ['unit', 'store', 'engine', 'e2e', 'faults', 'bench'];
// Each argument is a folder (`store`) or one file (`e2e/quick-start.test.ts`); none: every folder.
const selection = process.argv.slice(2).length > 0 ? process.argv.slice(2) : FOLDERS;
const files = selection.flatMap((entry) =>
  entry.endsWith('.test.ts')
    ? [join('test', entry)]
    : readdirSync(join('test', entry))
        .filter((name) => name.endsWith('.test.ts'))
        .sort()
        .map((name) => join('test', entry, name)),
);
// The tests' own modules run from src/ (the `capstan-source` condition below), but the `capstan`
// processes they start (serve, worker, the CLI: hundreds of starts) run the compiled dist/, a
// third of tsx's start-up time, as an installed package does. dist/ is rebuilt first when any
// source is newer, so a test never runs yesterday's code. CAPSTAN_RUN_FROM=src runs them from
// the sources instead.
if (!process.env.CAPSTAN_RUN_FROM) {
  if (distIsStale('.')) {
    console.log('dist/ is older than the sources: npm run build');
    const build = spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
    if (build.status !== 0) process.exit(build.status ?? 1);
  }
  process.env.CAPSTAN_RUN_FROM = 'dist';
}

const result = spawnSync(
  process.execPath,
  // Every test has a deadline: a regression that hangs fails its test instead of stalling the run.
  [
    // `capstan/sdk` & co. resolve to src/, never to a stale dist/ (docs/packaging.md).
    '--conditions=capstan-source',
    '--import',
    'tsx',
    // Fails a file whose tests leave a timer, socket, server or child process open.
    '--import',
    './test/support/leak-check.ts',
    '--test',
    '--test-concurrency=2',
    `--test-timeout=${process.env.CAPSTAN_TEST_TIMEOUT_MS ?? 600_000}`,
    '--test-reporter=spec',
    ...files,
  ],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
