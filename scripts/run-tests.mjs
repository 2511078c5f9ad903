// Runs every test file under test/ with node's test runner and tsx's loader, folder by folder:
// the in-process ones first, then those that spawn real processes. `npm test -- store engine`
// runs some folders, `npm test -- e2e/cli.test.ts` one file.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

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
