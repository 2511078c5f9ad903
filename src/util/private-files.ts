import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/**
 * Capstan's own state (the data directory, the SQLite files, tokens.json, stored artifacts) is
 * for the account that runs it alone: directories 0700, files 0600. The modes are set with
 * chmod, not left to the umask, which could make them wider or narrower than meant.
 */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** The directories mkdir created: from `leaf` up to `first`, the first one it made. */
function createdChain(first: string, leaf: string): string[] {
  const chain: string[] = [];
  for (let dir = resolve(leaf); ; dir = dirname(dir)) {
    chain.push(dir);
    if (dir === resolve(first) || dirname(dir) === dir) return chain;
  }
}

/**
 * Makes a directory (and its missing parents) owner-only. A directory that already existed is
 * left as it is: it may be the operator's, shared with other things.
 */
export function makePrivateDir(path: string): void {
  const first = mkdirSync(path, { recursive: true, mode: PRIVATE_DIR_MODE });
  if (first !== undefined) for (const dir of createdChain(first, path)) chmodSync(dir, PRIVATE_DIR_MODE);
}

/**
 * `makePrivateDir`, without blocking the event loop. Resolves with the first directory it
 * created (undefined when `path` existed), so a caller can make the new entries durable.
 */
export async function makePrivateDirAsync(path: string): Promise<string | undefined> {
  const first = await mkdir(path, { recursive: true, mode: PRIVATE_DIR_MODE });
  if (first !== undefined) for (const dir of createdChain(first, path)) await chmod(dir, PRIVATE_DIR_MODE);
  return first;
}

/** Creates the file empty if missing, and makes it owner-only (0600) either way. */
export function makePrivateFile(path: string): void {
  closeSync(openSync(path, 'a', PRIVATE_FILE_MODE));
  chmodSync(path, PRIVATE_FILE_MODE);
}

/** Makes existing files owner-only; missing ones are skipped. */
export function makeFilesPrivate(paths: readonly string[]): void {
  for (const path of paths) if (existsSync(path)) chmodSync(path, PRIVATE_FILE_MODE);
}
