/**
 * Runs one of the benchmark's TypeScript processes (`node --import tsx <script> '<json args>'`)
 * on the runtime's Node, from the runtime's tree, and parses the JSON line it prints last.
 * A process per run: its peak RSS is that run's alone, and no run inherits another's JIT or heap.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { coordinatorNodeFlags } from './process-resources.ts';
import type { NodeRuntime } from './runtime.ts';

export async function runJsonProcess<T>(runtime: NodeRuntime, script: string, args: unknown): Promise<T> {
  const child = spawn(
    runtime.node,
    [...coordinatorNodeFlags(), '--import', 'tsx', join(runtime.root, script), JSON.stringify(args)],
    { cwd: runtime.root, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise<number | null>((done) => child.once('exit', done));
  if (code !== 0) throw new Error(`${script} exited with ${String(code)}:\n${out}`);
  return JSON.parse(out.trim().split('\n').pop() ?? '') as T;
}
