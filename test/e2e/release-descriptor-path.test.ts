import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ADMIN_TOKEN, apiClient, startCoordinatorProcess } from '../support/coordinator-process.ts';

const register = '/tpf/admin/tenants/default/pipelines/restaurant-approval/releases/register';

// A deadline for the whole test: a request that hangs fails it instead of holding the run.
test(
  'releaseDescriptorPath: one answer outside the roots, regular files only inside',
  { timeout: 60_000 },
  async (t) => {
    const scratch = mkdtempSync(join(tmpdir(), 'capstan-descriptor-path-'));
    t.after(() => rmSync(scratch, { recursive: true, force: true }));
    const root = join(scratch, 'root');
    const outside = join(scratch, 'outside');
    mkdirSync(root);
    mkdirSync(outside);
    const coordinator = await startCoordinatorProcess(t, {
      env: { CAPSTAN_RELEASES_ALLOWED_ROOTS: root },
    });
    const admin = apiClient(coordinator.baseUrl, ADMIN_TOKEN);
    const fromPath = (releaseDescriptorPath: string) =>
      admin.call('POST', register, { releaseDescriptorPath });

    // Outside the roots: the same status and code whether the file exists or not.
    const existing = join(outside, 'pipeline-release.json');
    writeFileSync(existing, '{}');
    const answers = await Promise.all([
      fromPath(existing),
      fromPath(join(outside, `${randomUUID()}.json`)),
      fromPath(join(scratch, randomUUID(), 'pipeline-release.json')),
      fromPath(join(root, '..', 'outside', 'pipeline-release.json')),
    ]);
    for (const answer of answers) {
      assert.equal(answer.status, 403, JSON.stringify(answer.body));
      assert.equal(answer.body.error.code, 'release_path_not_allowed');
    }

    // A symlink inside a root that leads out of it is refused as outside.
    const link = join(root, 'escape.json');
    symlinkSync(existing, link);
    const escaped = await fromPath(link);
    assert.equal(escaped.status, 403, JSON.stringify(escaped.body));
    assert.equal(escaped.body.error.code, 'release_path_not_allowed');

    // Inside a root, only a regular file is read: a FIFO (no writer) or a directory is a prompt 400.
    const fifo = join(root, 'pipeline-release.json');
    execFileSync('mkfifo', [fifo]);
    const directory = join(root, 'folder');
    mkdirSync(directory);
    for (const path of [fifo, directory]) {
      const answer = await fromPath(path);
      assert.equal(answer.status, 400, JSON.stringify(answer.body));
      assert.equal(answer.body.error.code, 'release_invalid');
    }
    const missing = await fromPath(join(root, 'missing.json'));
    assert.equal(missing.status, 400, JSON.stringify(missing.body));
    assert.equal(missing.body.error.code, 'release_invalid');
    assert.equal((await admin.call('GET', '/api/health')).status, 200, 'still serving');
  },
);
