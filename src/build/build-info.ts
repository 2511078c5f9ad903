import { readFileSync } from 'node:fs';

/** What this build is: the package's name and version, and the runtime it runs on. */
export interface BuildInfo {
  readonly name: string;
  readonly version: string;
  readonly node: string;
}

let cached: BuildInfo | undefined;

export function buildInfo(): BuildInfo {
  cached ??= (() => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      name: string;
      version: string;
    };
    return { name: pkg.name, version: pkg.version, node: process.versions.node };
  })();
  return cached;
}

/**
 * The versions of the HTTP APIs this coordinator speaks and of the transition-worker protocol.
 * What it serves beyond them (worker protocols, encodings) is read from the running node:
 * `src/http/cluster-info.ts`.
 */
export const PROTOCOLS = {
  controlPlane: 'tpf-control-plane/1',
  admin: 'tpf-admin/1',
  transitionWorker: '1',
} as const;
