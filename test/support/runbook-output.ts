import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { runCapstan } from './cli-run.ts';
import { ADMIN_TOKEN, OPERATOR_TOKEN } from './coordinator-process.ts';
import type { RunbookRun } from './runbook-blocks.ts';
import { envWithoutCapstanSettings } from './clean-env.ts';

// What the runbook tests read from the CLI's human output, as an operator reads it.

/** A temporary folder, removed after the test. */
export const tempDir = (t: TestContext) => {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-runbooks-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};

/**
 * The operator's shell: the coordinator's URL and tokens as docs/runbooks.md's "Before you
 * start" sets them, and nothing of the machine's own CAPSTAN_* settings or saved profiles.
 */
export function operatorEnv(dir: string, url: string): NodeJS.ProcessEnv {
  return {
    ...envWithoutCapstanSettings(),
    XDG_CONFIG_HOME: join(dir, 'config'),
    CAPSTAN_DATA_DIR: join(dir, 'no-data-dir'),
    CAPSTAN_URL: url,
    CAPSTAN_TOKEN: OPERATOR_TOKEN,
    CAPSTAN_ADMIN_TOKEN: ADMIN_TOKEN,
  };
}

/** The CLI in `env`, as runRunbook takes it. */
export const cli = (env: NodeJS.ProcessEnv) => (args: string[], stdin?: string) =>
  runCapstan(env, args, stdin);

/** A `label  value` rendering (status, release show…) as a map; indented lines too (release build). */
export function fieldsOf(stdout: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const match = /^\s*(\S+(?: \S+)?)\s{2,}(.*)$/.exec(line);
    if (match) fields.set(match[1] as string, (match[2] as string).trim());
  }
  return fields;
}

/** A table's rows as header → cell maps (headers are separated by two spaces or more). */
export function rowsOf(stdout: string): Record<string, string>[] {
  const [header, ...lines] = stdout.trim().split('\n');
  if (!header || header === '(none)') return [];
  const starts = [...header.matchAll(/\S+(?: \S+)*/g)].map((m) => ({ name: m[0], at: m.index }));
  return lines
    .filter((line) => line.trim() !== '' && !line.startsWith('more:'))
    .map((line) =>
      Object.fromEntries(
        starts.map((c, i) => [c.name, line.slice(c.at, starts[i + 1]?.at ?? line.length).trim()]),
      ),
    );
}

/** The JSON `result` prints after `<id>  SUCCEEDED` (asserted). */
export function resultOf(run: RunbookRun, executionId: string): Record<string, unknown> {
  const [first, ...rest] = run.stdout.split('\n');
  assert.equal(first, `${executionId}  SUCCEEDED`, run.stdout);
  return JSON.parse(rest.join('\n')) as Record<string, unknown>;
}
