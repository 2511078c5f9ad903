/**
 * The Node.js that runs Capstan's processes (coordinators, workers, the W1 process) and the
 * tree they run from. By default the benchmark's own Node and this checkout; `--node <path>`
 * runs this checkout on another binary (its node_modules must suit it: better-sqlite3 is built
 * for the Node that installed it); `--node-major <M>` runs a copy of the working tree installed
 * for Node M by bench/node-runtime.sh. The benchmark itself, its HTTP client and the seeding
 * always run on the Node that runs `npm run bench`.
 */
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');

export interface NodeRuntime {
  /** The node binary. */
  readonly node: string;
  /** The checkout (or prepared copy) whose bin/, src/ and bench/ the processes run. */
  readonly root: string;
  readonly version: string;
}

const versionOf = (node: string): string => execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();

export function nodeRuntime(options: {
  node?: string | undefined;
  nodeMajor?: number | undefined;
}): NodeRuntime {
  if (options.nodeMajor !== undefined) {
    // Prints its progress (a first npm ci takes a minute or two) on stderr, the result on stdout.
    const out = execFileSync('bash', [join(ROOT, 'bench/node-runtime.sh'), String(options.nodeMajor)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const node = /^node=(.+)$/m.exec(out)?.[1];
    const root = /^root=(.+)$/m.exec(out)?.[1];
    if (!node || !root) throw new Error(`bench/node-runtime.sh said:\n${out}`);
    return { node, root, version: versionOf(node) };
  }
  if (options.node !== undefined) return { node: options.node, root: ROOT, version: versionOf(options.node) };
  return { node: process.execPath, root: ROOT, version: process.version };
}
