import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ExpiredExecution, Store } from '../store/store-port.ts';
import { makePrivateDirAsync, PRIVATE_FILE_MODE } from '../util/private-files.ts';
import { executionAndItems, exportLines } from './journal-export.ts';

/** Bytes gathered before each write: a few large writes rather than one per event. */
const CHUNK_BYTES = 256 * 1024;

/**
 * A path segment made of a tenant id: tenant ids are `[A-Za-z0-9._-]`, so only `.` and `..`
 * could climb out of the archive; they are spelled out instead.
 */
const segmentOf = (id: string): string => (/^\.+$/.test(id) ? id.replace(/\./g, '%2E') : id);

/**
 * Where retention keeps the history of executions it purges (docs/retention.md): one history
 * export per top-level execution, the execution's journal and then its items', in
 * `<dir>/<tenant>/<day it ended, UTC>/<executionId>-v<version>.jsonl`. The version is in the
 * name because an execution re-driven after it was archived (and later expiring again) has
 * more history: its next archive is a new file, never mistaken for the old one.
 *
 * A file appears whole or not at all: written to a temporary name, flushed to disk, renamed,
 * and the directory flushed too. Only then may the execution be deleted.
 */
export class HistoryArchive {
  readonly dir: string;
  readonly #store: Pick<Store, 'readJournal' | 'listItemIds'>;

  constructor(dir: string, store: Pick<Store, 'readJournal' | 'listItemIds'>) {
    this.dir = dir;
    this.#store = store;
  }

  pathOf(e: ExpiredExecution): string {
    const day = new Date(e.updatedAtMs).toISOString().slice(0, 10);
    return join(this.dir, segmentOf(e.tenantId), day, `${e.executionId}-v${e.version}.jsonl`);
  }

  /**
   * Writes the execution's history unless a whole archive of this version is there already (a
   * pass that archived it and stopped before the purge, or a parent whose items take several
   * batches); true when it wrote one. Throws when the file could not be written durably.
   */
  async write(e: ExpiredExecution): Promise<boolean> {
    const path = this.pathOf(e);
    if (await exists(path)) return false;
    const dir = dirname(path);
    const created = await makePrivateDirAsync(dir);
    const temporary = join(dir, `.${e.executionId}.${randomBytes(6).toString('hex')}.tmp`);
    const file = await open(temporary, 'wx', PRIVATE_FILE_MODE);
    try {
      let chunk: string[] = [];
      let bytes = 0;
      for await (const line of exportLines(this.#store, executionAndItems(this.#store, e.executionId))) {
        chunk.push(line, '\n');
        bytes += line.length + 1;
        if (bytes >= CHUNK_BYTES) {
          await file.write(chunk.join(''));
          chunk = [];
          bytes = 0;
        }
      }
      await file.write(chunk.join(''));
      await file.sync();
    } catch (error) {
      await file.close().catch(() => undefined);
      await rm(temporary, { force: true }).catch(() => undefined);
      throw error;
    }
    await file.close();
    await rename(temporary, path);
    await syncDirectory(dir);
    // Directories made for it (a new tenant or day) are entries of their parents: flush those too.
    if (created !== undefined)
      for (let made = dir; made !== dirname(created); made = dirname(made))
        await syncDirectory(dirname(made));
    return true;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path, constants.F_OK);
    return true;
  } catch {
    return false;
  }
}

/** Makes a rename in `dir` durable: the directory entry is flushed like the file was. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
