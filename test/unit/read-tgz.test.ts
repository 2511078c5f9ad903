import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { CapstanError } from '../../src/errors/catalog.ts';
import { readApplicationArchive } from '../../src/releases/application-archive.ts';
import { DEFAULT_ARCHIVE_LIMITS, type ArchiveLimits } from '../../src/releases/archive-limits.ts';
import { deterministicTgz } from '../../src/releases/artifact-bundle.ts';
import { readTgz } from '../../src/releases/read-tgz.ts';
import { gzipBomb, manyEntries } from '../support/gzip-bomb.ts';

const limits = (over: Partial<ArchiveLimits>): ArchiveLimits => ({ ...DEFAULT_ARCHIVE_LIMITS, ...over });
const refusedWith = (code: string) => (error: unknown) =>
  error instanceof CapstanError && error.code === code;

test('readTgz: the files of a well-formed archive, within the limits', async () => {
  const tgz = await deterministicTgz([
    { name: 'a.txt', content: Buffer.from('alpha') },
    { name: 'dir/b.txt', content: Buffer.from('beta') },
  ]);
  const files = await readTgz(tgz, limits({ maxEntries: 2, maxEntryBytes: 5 }));
  assert.deepEqual(
    [...files].map(([name, content]) => [name, content.toString()]),
    [
      ['a.txt', 'alpha'],
      ['dir/b.txt', 'beta'],
    ],
  );
});

test('readTgz: more entries than the limit is release_archive_too_large', async () => {
  const tgz = await manyEntries(50);
  assert.equal((await readTgz(tgz, limits({ maxEntries: 50 }))).size, 50);
  await assert.rejects(readTgz(tgz, limits({ maxEntries: 49 })), refusedWith('release_archive_too_large'));
});

test('readTgz: an entry over the per-entry limit is release_archive_too_large', async () => {
  const tgz = await gzipBomb(2 * 1_048_576);
  await assert.rejects(
    readTgz(tgz, limits({ maxEntryBytes: 1_048_576 })),
    refusedWith('release_archive_too_large'),
  );
});

test('readTgz: more unpacked bytes than the total limit is release_archive_too_large', async () => {
  const tgz = await gzipBomb(4 * 1_048_576);
  assert.ok(tgz.length < 64 * 1024, 'a small body');
  await assert.rejects(
    readTgz(tgz, limits({ maxUnpackedBytes: 1_048_576 })),
    refusedWith('release_archive_too_large'),
  );
  // The same through the application-archive reader, which a worker uses too.
  await assert.rejects(
    readApplicationArchive(tgz, 'bomb', limits({ maxUnpackedBytes: 1_048_576 })),
    refusedWith('release_archive_too_large'),
  );
});

test('readTgz: a corrupt or truncated archive is release_invalid, never another error', async () => {
  const good = await deterministicTgz([{ name: 'a.txt', content: Buffer.alloc(4096, 1) }]);
  const corrupt = [
    Buffer.from('not gzip at all'),
    good.subarray(0, good.length / 2),
    gzipSync(Buffer.from('gzip, but not a tar archive: '.repeat(40))),
    gzipSync(Buffer.concat([Buffer.alloc(512, 7), Buffer.alloc(1024)])),
    Buffer.alloc(0),
  ];
  for (const bytes of corrupt) {
    await assert.rejects(readTgz(bytes), refusedWith('release_invalid'), `${bytes.length} bytes`);
    await assert.rejects(readApplicationArchive(bytes, 'corrupt'), refusedWith('release_invalid'));
  }
});
