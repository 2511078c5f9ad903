import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startCoordinatorProcess } from '../support/coordinator-process.ts';

const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8);

test('a fresh data directory is 0700, and the database, tokens and artifacts in it 0600, whatever the umask', async (t) => {
  const scratch = mkdtempSync(join(tmpdir(), 'capstan-modes-'));
  t.after(() => rmSync(scratch, { recursive: true, force: true }));
  const dataDir = join(scratch, 'data', 'capstan');
  // The coordinator inherits the most permissive umask: its modes must not come from it.
  const umask = process.umask(0);
  // Checked while it runs, so the -wal file is there too.
  try {
    await startCoordinatorProcess(t, { dataDir });
  } finally {
    process.umask(umask);
  }

  assert.equal(modeOf(dataDir), '700');
  assert.equal(modeOf(join(scratch, 'data')), '700', 'a parent created for it too');
  const files = ['capstan.db', 'capstan.db-wal', 'capstan.db-shm', 'tokens.json']
    .map((name) => join(dataDir, name))
    .filter((path) => existsSync(path));
  assert.ok(files.includes(join(dataDir, 'capstan.db')) && files.includes(join(dataDir, 'tokens.json')));
  for (const file of files) assert.equal(modeOf(file), '600', file);
  const artifacts = join(dataDir, 'artifacts', 'sha256');
  assert.equal(modeOf(join(dataDir, 'artifacts')), '700');
  assert.equal(modeOf(artifacts), '700');
  const stored = readdirSync(artifacts);
  assert.ok(stored.length > 0, 'the example release stored its artifact');
  for (const name of stored) assert.equal(modeOf(join(artifacts, name)), '600', name);
});
