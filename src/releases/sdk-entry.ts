import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The SDK entry module of the Capstan installation that is running: `src/sdk/index.ts` in a
 * clone, `dist/sdk/index.js` in an installed (compiled) package. Found from this module's own
 * location, with this module's own extension, so a release bundle takes the SDK of the running
 * Capstan whether the pipeline imports it as `capstan/sdk` from a user's project or by a relative
 * path inside the clone.
 */
export function runningSdkEntry(): string {
  const self = fileURLToPath(import.meta.url);
  return fileURLToPath(new URL(`../sdk/index${extname(self)}`, import.meta.url));
}
