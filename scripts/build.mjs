// Builds the package's dist/: JavaScript and type declarations compiled from src/ (see
// tsconfig.build.json), plus the files the code reads at run time beside its modules (the
// worker protocol's .proto, the SQL migrations). Runs at `prepare`, so `npm install` in a clone,
// an install from git and `npm pack` all have it; docs/packaging.md tells the whole story.
// The web console (console/, a Vite + Preact app) is built into dist/console at the same time,
// so an installed package serves it without a build step (docs/console.md).
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';

const root = join(import.meta.dirname, '..');
// Another output directory as the first argument (the benchmark builds one of its own).
const target = resolve(process.argv[2] ?? join(root, 'dist'));
// Built beside the target and swapped in at the end: a process running from the old dist/ (a
// coordinator, a test's CLI run) never finds it half-built or missing.
const dist = `${target}.building-${process.pid}`;
const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');

// A clean dist/: a module deleted from src/ must not live on in the package.
rmSync(dist, { recursive: true, force: true });
process.on('exit', () => rmSync(dist, { recursive: true, force: true }));
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', dist], {
  stdio: 'inherit',
});

/** Run-time assets: every file under src/ that is not TypeScript, except what only tests read. */
const isAsset = (path) => !path.endsWith('.ts') && !path.endsWith('.snapshot.sql');
cpSync(join(root, 'src'), dist, {
  recursive: true,
  filter: (path) => statSync(path).isDirectory() || isAsset(path),
});

// The console: a static bundle. `vite` is a development dependency, present wherever `prepare` runs.
const vite = join(dirname(require.resolve('vite/package.json')), 'bin/vite.js');
execFileSync(
  process.execPath,
  [
    vite,
    'build',
    join(root, 'console'),
    '--config',
    join(root, 'console/vite.config.ts'),
    '--outDir',
    join(dist, 'console'),
    // Vite refuses a second build of the same project while one runs; each build here writes its
    // own output directory (the benchmark's, `npm pack`'s in a test), so they can run side by side.
    '--bypass-lock',
  ],
  { stdio: 'inherit' },
);

// Two renames: the old tree moves aside, the new one takes its name; then the old one goes.
const old = `${target}.old-${process.pid}`;
if (existsSync(target)) renameSync(target, old);
renameSync(dist, target);
rmSync(old, { recursive: true, force: true });
