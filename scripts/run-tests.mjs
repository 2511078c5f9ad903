// Runs every test file under test/ with node's test runner and tsx's loader.
// Unit files first share one runner; end-to-end files spawn real processes.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const tiers = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['unit', 'e2e'];
const files = tiers.flatMap((tier) =>
  readdirSync(join('test', tier))
    .filter((name) => name.endsWith('.test.ts'))
    .sort()
    .map((name) => join('test', tier, name)),
);
const result = spawnSync(
  process.execPath,
  // Every test has a deadline: a regression that hangs fails its test instead of stalling the run.
  [
    '--import',
    'tsx',
    '--test',
    '--test-concurrency=2',
    `--test-timeout=${process.env.CAPSTAN_TEST_TIMEOUT_MS ?? 300_000}`,
    '--test-reporter=spec',
    ...files,
  ],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
