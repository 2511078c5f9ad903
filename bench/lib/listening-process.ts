/**
 * A Capstan process (`capstan serve`, `capstan worker`) started as an operator starts it, on
 * the runtime's Node, and awaited until its banner names the address it listens on. Its
 * resources come from /proc while it runs.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { coordinatorNodeFlags, processResources, type ProcessResources } from './process-resources.ts';
import type { NodeRuntime } from './runtime.ts';

export interface ListeningProcess {
  readonly baseUrl: string;
  readonly pid: number;
  /** The first capture group of the banner pattern other than the URL (the worker id), if any. */
  readonly name: string | undefined;
  resources(): ProcessResources;
  /** SIGTERM (a graceful stop), SIGKILL if it has not exited within 10 s. */
  stop(): Promise<void>;
}

export async function startListening(
  runtime: NodeRuntime,
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  /** Matches the banner line; the last capture group is the URL. */
  banner: RegExp,
): Promise<ListeningProcess> {
  // The machine's own Capstan configuration must not leak into the run.
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(PIPELINE_|CAPSTAN_|PORT$)/.test(name)),
  );
  const child = spawn(
    runtime.node,
    [...coordinatorNodeFlags(), join(runtime.root, 'bin/capstan.mjs'), ...args],
    {
      cwd: runtime.root,
      env: { ...inherited, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  // Read everything it prints for its whole life: a full pipe would block it.
  let out = '';
  const keep = (chunk: Buffer): void => void (out = (out + chunk.toString()).slice(-20_000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const match = await new Promise<RegExpExecArray>((done, fail) => {
    const timer = setTimeout(
      () => fail(new Error(`capstan ${args[0]} did not start in 60 s:\n${out}`)),
      60_000,
    );
    const check = (): void => {
      const found = banner.exec(out);
      if (found) {
        clearTimeout(timer);
        done(found);
      }
    };
    // The banner is on stderr, apart from the log records on stdout.
    child.stdout.on('data', check);
    child.stderr.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`capstan ${args[0]} exited with ${String(code)}:\n${out}`));
    });
  });
  const pid = child.pid as number;
  return {
    baseUrl: match[match.length - 1] ?? '',
    name: match.length > 2 ? match[1] : undefined,
    pid,
    resources: () => processResources(pid),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
