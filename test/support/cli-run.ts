import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/capstan.mjs');
const run = promisify(execFile);

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the real binary (`node bin/capstan.mjs …`) in `env`, with `stdin` on its standard input
 * when given; never throws on an exit code.
 */
export async function runCapstan(
  env: NodeJS.ProcessEnv,
  args: readonly string[],
  stdin?: string,
): Promise<CliRun> {
  try {
    const running = run(process.execPath, [BIN, ...args], { cwd: ROOT, env });
    if (stdin !== undefined) running.child.stdin?.end(stdin);
    const { stdout, stderr } = await running;
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

/** The run's stdout, once exit 0 is asserted (the message shows both streams). */
export function ok(r: CliRun): string {
  assert.equal(r.code, 0, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r.stdout;
}
