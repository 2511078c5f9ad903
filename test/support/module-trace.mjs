// Loader hooks for a test that asks which modules an import pulls in: every resolved URL is
// written to stderr as `loaded <url>` (hooks run off the main thread, so a synchronous write).
import { writeSync } from 'node:fs';

export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  writeSync(2, `loaded ${resolved.url}\n`);
  return resolved;
}
