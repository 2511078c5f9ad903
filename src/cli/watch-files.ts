import { watch, type FSWatcher } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Calls `onChange` once a burst of changes to `files` has settled (`debounceMs` without another).
 * It watches their folders rather than the files: an editor that saves by writing a new file and
 * renaming it over the old one replaces the inode a file watch would be holding.
 */
export class FileWatch {
  #watchers: FSWatcher[] = [];
  #files = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  readonly #onChange: () => void;
  readonly #debounceMs: number;

  constructor(onChange: () => void, debounceMs = 150) {
    this.#onChange = onChange;
    this.#debounceMs = debounceMs;
  }

  /** Watches exactly `files` from now on (the set a build found: it changes as imports do). */
  set(files: Iterable<string>): void {
    this.#files = new Set(files);
    const dirs = new Set([...this.#files].map((file) => dirname(file)));
    this.#closeWatchers();
    for (const dir of dirs) {
      const watcher = watch(dir, (_event, name) => {
        if (name !== null && this.#files.has(join(dir, name.toString()))) this.#schedule();
      });
      // A folder removed under it: the next build reports the missing file; nothing to do here.
      watcher.on('error', () => undefined);
      this.#watchers.push(watcher);
    }
  }

  close(): void {
    clearTimeout(this.#timer);
    this.#closeWatchers();
  }

  #schedule(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(this.#onChange, this.#debounceMs);
  }

  #closeWatchers(): void {
    for (const watcher of this.#watchers) watcher.close();
    this.#watchers = [];
  }
}
