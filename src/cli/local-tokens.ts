import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The default data directory of `capstan serve` (`capstan.data-dir`), relative to where it runs. */
const DEFAULT_DATA_DIR = './.capstan';

export interface LocalTokens {
  readonly file: string;
  readonly operator?: string | undefined;
  readonly admin?: string | undefined;
  readonly worker?: string | undefined;
}

/** The data directory a local coordinator would use here: `CAPSTAN_DATA_DIR`, else `./.capstan`. */
export function localDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.CAPSTAN_DATA_DIR?.trim() || DEFAULT_DATA_DIR);
}

/** Loopback only: a local data directory's tokens are never sent to another host. */
export function isLoopback(url: string): boolean {
  const host = new URL(url).hostname;
  return host === 'localhost' || host === '[::1]' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * The tokens a local coordinator generated and kept in `<data-dir>/tokens.json` (see
 * config/access-tokens.ts), when the file is there and readable; undefined otherwise.
 */
export function readLocalTokens(env: NodeJS.ProcessEnv = process.env): LocalTokens | undefined {
  const file = join(localDataDir(env), 'tokens.json');
  if (!existsSync(file)) return undefined;
  try {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    const pick = (role: string) => (typeof stored[role] === 'string' ? stored[role] : undefined);
    return { file, operator: pick('operator'), admin: pick('admin'), worker: pick('worker') };
  } catch {
    return undefined;
  }
}
