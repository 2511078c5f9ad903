// Mutation testing of the modules whose lines are promises (guards, idempotency, signing, retry,
// leadership), one group at a time, each group running only the test files that exercise it.
//
//   npm run mutate                 every group in turn
//   npm run mutate -- signing      one group (several names allowed)
//   npm run mutate -- --list       the groups and what they mutate
//
// Stryker's tap runner runs each test file as `node --conditions=capstan-source --import tsx <file>` (node:test prints TAP when
// its output is not a terminal); with per-test coverage it then runs, for each mutant, only the
// files that reached the mutated code. Reports land in reports/mutation/<group>.{html,json}.
// Not part of `npm test` or CI: a full run takes hours on two cores.
import { Stryker } from '@stryker-mutator/core';

/** @type {Record<string, { mutate: string[]; tests: string[] }>} */
const groups = {
  signing: {
    mutate: [
      'src/worker-protocol/signing.ts',
      'src/worker-protocol/signed-messages.ts',
      'src/worker-protocol/request-verifier.ts',
      'src/worker-protocol/nonce-guard.ts',
    ],
    tests: [
      'test/unit/worker-signing.test.ts',
      'test/unit/response-signing.test.ts',
      'test/unit/signed-rest-client.test.ts',
      'test/unit/signing-edges.test.ts',
    ],
  },
  retry: {
    mutate: ['src/domain/retry-policy.ts'],
    tests: [
      'test/unit/retry-jitter.test.ts',
      'test/engine/retry-and-leases.test.ts',
      'test/unit/retry-policy-decisions.test.ts',
    ],
  },
  claim: {
    mutate: ['src/store/sqlite/claim.ts', 'src/store/postgres/claim.ts'],
    tests: [
      'test/store/store-fencing.test.ts',
      'test/store/store-races.test.ts',
      'test/engine/retry-and-leases.test.ts',
      'test/store/claim-guards.test.ts',
      'test/engine/unroutable-executions.test.ts',
    ],
  },
  submit: {
    mutate: ['src/store/sqlite/submit.ts', 'src/store/postgres/submit.ts'],
    tests: [
      'test/engine/idempotency-and-ttl.test.ts',
      'test/store/store-commands.test.ts',
      'test/store/store-races.test.ts',
      'test/store/submit-guards.test.ts',
    ],
  },
  leadership: {
    mutate: [
      'src/store/sqlite/leadership.ts',
      'src/store/postgres/leadership.ts',
      'src/coordinator/leader-election.ts',
    ],
    tests: ['test/store/leadership.test.ts', 'test/engine/leader-election.test.ts'],
  },
  idempotency: {
    mutate: ['src/store/sqlite/interaction-commands.ts', 'src/store/postgres/interaction-commands.ts'],
    tests: [
      'test/engine/idempotency-and-ttl.test.ts',
      'test/store/store-commands.test.ts',
      'test/store/store-races.test.ts',
      'test/store/completion-guards.test.ts',
    ],
  },
  operator: {
    mutate: ['src/store/sqlite/operator-commands.ts', 'src/store/postgres/operator-commands.ts'],
    tests: [
      'test/store/store-commands.test.ts',
      'test/store/store-races.test.ts',
      'test/engine/idempotency-and-ttl.test.ts',
      'test/store/operator-guards.test.ts',
    ],
  },
  commits: {
    mutate: [
      'src/store/postgres/step-commits.ts',
      'src/store/sqlite/segment-commands.ts',
      'src/store/postgres/segment-commands.ts',
    ],
    tests: [
      'test/store/store-fencing.test.ts',
      'test/store/store-batches.test.ts',
      'test/store/store-commands.test.ts',
      'test/engine/retry-and-leases.test.ts',
      'test/store/step-commit-journal.test.ts',
    ],
  },
};

const args = process.argv.slice(2);
if (args.includes('--list')) {
  for (const [name, group] of Object.entries(groups)) {
    console.log(`${name}: ${group.mutate.join(', ')}`);
  }
  process.exit(0);
}
const unknown = args.filter((name) => !(name in groups));
if (unknown.length > 0) {
  console.error(`unknown group(s): ${unknown.join(', ')}; known: ${Object.keys(groups).join(', ')}`);
  process.exit(2);
}

const selected = args.length > 0 ? args : Object.keys(groups);
const scores = [];
for (const name of selected) {
  const { mutate, tests } = groups[name];
  console.log(`\n=== mutation group ${name}: ${mutate.join(', ')}`);
  const results = await new Stryker({
    testRunner: 'tap',
    plugins: ['@stryker-mutator/tap-runner'],
    tap: { testFiles: tests, nodeArgs: ['--conditions=capstan-source', '--import', 'tsx'], forceBail: true },
    mutate,
    // Per-test coverage: each mutant runs only the test files that executed its code.
    coverageAnalysis: 'perTest',
    // Two cores shared with other work; PostgreSQL-backed tests each create their own schema, so
    // two mutants at once do not see each other.
    concurrency: 2,
    // Store tests wait on real SQLite and PostgreSQL; give slow machines room before "timeout".
    timeoutMS: 20_000,
    reporters: ['clear-text', 'progress-append-only', 'html', 'json'],
    htmlReporter: { fileName: `reports/mutation/${name}.html` },
    jsonReporter: { fileName: `reports/mutation/${name}.json` },
    tempDirName: `.stryker-tmp/${name}`,
    cleanTempDir: 'always',
  }).runMutationTest();
  const detected = results.filter((r) => r.status === 'Killed' || r.status === 'Timeout').length;
  const valid = results.filter((r) => !['CompileError', 'RuntimeError', 'Ignored'].includes(r.status));
  scores.push({ name, detected, valid: valid.length });
}
for (const { name, detected, valid } of scores) {
  const score = valid === 0 ? 'n/a' : `${((100 * detected) / valid).toFixed(1)}%`;
  console.log(`${name}: ${detected}/${valid} mutants detected (${score})`);
}
