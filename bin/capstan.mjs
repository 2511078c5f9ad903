#!/usr/bin/env node
// The capstan CLI. Installed from the package, it runs the compiled dist/: no loader, a fast
// start, and tsx is registered only if a pipeline module is TypeScript. In a clone of the
// repository (src/ beside bin/) it runs the TypeScript sources through tsx instead, so an edit
// is never hidden behind a stale dist/; CAPSTAN_RUN_FROM=dist runs the build there too (the
// benchmark measures what users get). docs/packaging.md tells the whole story.
import { existsSync } from 'node:fs';
import { register } from 'node:module';
import { URL } from 'node:url';

const sources = new URL('../src/cli/main.ts', import.meta.url);
if (process.env.CAPSTAN_RUN_FROM !== 'dist' && existsSync(sources)) {
  // `capstan/sdk` & co. resolve to src/ too (the `capstan-source` export condition, as in the
  // tests), so a pipeline in the clone shares the CLI's modules instead of a second copy.
  register(
    'data:text/javascript,export function resolve(s, c, next) {' +
      ' return next(s, { ...c, conditions: [...c.conditions, "capstan-source"] }); }',
  );
  const { register: registerTsx } = await import('tsx/esm/api');
  registerTsx();
  await import(sources.href);
} else {
  const compiled = new URL('../dist/cli/main.js', import.meta.url);
  if (!existsSync(compiled)) {
    console.error('capstan: dist/ is missing; build it with `npm run build`.');
    process.exit(1);
  }
  await import(compiled.href);
}
