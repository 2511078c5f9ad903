import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ADMIN_TOKEN, apiClient, startCoordinatorProcess } from '../support/coordinator-process.ts';
import { gzipBomb, manyEntries } from '../support/gzip-bomb.ts';

const releases = '/tpf/admin/tenants/default/pipelines/restaurant-approval/releases';
const gzip = { 'content-type': 'application/gzip' };

test('release uploads: a gzip bomb is a 413 release_archive_too_large, and the server keeps answering', async (t) => {
  const coordinator = await startCoordinatorProcess(t, {
    env: {
      CAPSTAN_RELEASES_ARCHIVE_MAX_UNPACKED_BYTES: String(1_048_576),
      CAPSTAN_RELEASES_ARCHIVE_MAX_ENTRIES: '20',
    },
  });
  const admin = apiClient(coordinator.baseUrl, ADMIN_TOKEN);
  const upload = (bytes: Buffer) => admin.call('POST', `${releases}/register`, bytes, gzip);

  const bomb = await gzipBomb(8 * 1_048_576);
  assert.ok(bomb.length < 64 * 1024, `a small body (${bomb.length} bytes)`);
  // Several bombs at once, and a health check among them: each is answered.
  const [health, ...answers] = await Promise.all([
    admin.call('GET', '/api/health'),
    upload(bomb),
    upload(bomb),
    upload(bomb),
  ]);
  assert.equal(health.status, 200);
  for (const answer of answers) {
    assert.equal(answer.status, 413, JSON.stringify(answer.body));
    assert.equal(answer.body.error.code, 'release_archive_too_large');
  }

  const crowded = await upload(await manyEntries(21));
  assert.equal(crowded.status, 413, JSON.stringify(crowded.body));
  assert.equal(crowded.body.error.code, 'release_archive_too_large');

  const small = await manyEntries(3);
  for (const corrupt of [Buffer.from('not a gzip stream'), small.subarray(0, small.length / 2)]) {
    const answer = await upload(corrupt);
    assert.equal(answer.status, 400, JSON.stringify(answer.body));
    assert.equal(answer.body.error.code, 'release_invalid');
  }
  assert.equal((await admin.call('GET', '/api/health')).status, 200, 'still serving');
});
