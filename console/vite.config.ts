import { defineConfig } from 'vite';

/**
 * Builds the console into dist/console (scripts/build.mjs runs it at `prepare`). `base` makes
 * every asset URL absolute under /console/, where the coordinator serves them.
 */
export default defineConfig({
  root: import.meta.dirname,
  base: '/console/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 300 },
  logLevel: 'warn',
});
