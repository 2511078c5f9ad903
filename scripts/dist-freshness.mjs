// Whether dist/ is older than what it is built from: the suite runner rebuilds it then, and so
// does the packed-package test before packing, so no test runs yesterday's code.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** True when a file under src/ or console/, or package.json, changed after dist/ was built. */
export function distIsStale(root) {
  const built = statSync(join(root, 'dist/cli/main.js'), { throwIfNoEntry: false })?.mtimeMs ?? 0;
  const sources = Math.max(
    newestChange(join(root, 'src')),
    newestChange(join(root, 'console')),
    newestChange(join(root, 'package.json')),
  );
  return sources > built;
}

/** The latest modification time of a file, or of anything under a folder. */
function newestChange(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path, { withFileTypes: true })
    .filter((entry) => entry.name !== 'node_modules')
    .reduce((latest, entry) => Math.max(latest, newestChange(join(path, entry.name))), stat.mtimeMs);
}
