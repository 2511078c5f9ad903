import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { extract } from 'tar-stream';
import { CapstanError } from '../errors/catalog.ts';
import { DEFAULT_ARCHIVE_LIMITS, type ArchiveLimits } from './archive-limits.ts';

class LimitCrossed extends Error {}

/**
 * The regular files of a `.tgz`, by path (a leading `./` dropped). Entries other than files
 * (links, devices) are skipped, never followed.
 *
 * Unpacked as a stream (zlib inflates off the event loop, chunk by chunk), counting as it goes:
 * past a limit it stops at once with `release_archive_too_large`, so a gzip bomb costs at most
 * the limits, never its unpacked size. Anything that is not a well-formed gzip-compressed tar is
 * `release_invalid`.
 */
export async function readTgz(
  bytes: Buffer,
  limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS,
): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const parser = extract();
  // The first limit crossed: it, not the teardown errors that follow, is what the caller hears.
  let crossed: string | undefined;
  const tooLarge = (why: string) => {
    crossed ??= why;
    return new LimitCrossed(why);
  };
  let entries = 0;
  const collect = (async () => {
    for await (const entry of parser) {
      entries += 1;
      if (entries > limits.maxEntries) throw tooLarge(`more than ${limits.maxEntries} entries`);
      const declared = entry.header.size ?? 0;
      if (declared > limits.maxEntryBytes)
        throw tooLarge(`entry '${entry.header.name}' is ${declared} bytes, over ${limits.maxEntryBytes}`);
      // tar-stream yields exactly the header's size (a pax size included), so the check above holds.
      const chunks: Buffer[] = [];
      for await (const chunk of entry) if (entry.header.type === 'file') chunks.push(chunk as Buffer);
      if (entry.header.type === 'file')
        files.set(entry.header.name.replace(/^\.\//, ''), Buffer.concat(chunks));
    }
  })();
  let total = 0;
  const count = new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      total += chunk.length;
      if (total > limits.maxUnpackedBytes) done(tooLarge(`over ${limits.maxUnpackedBytes} unpacked bytes`));
      else done(null, chunk);
    },
  });
  const unpack = pipeline(Readable.from([bytes]), createGunzip(), count, parser);
  try {
    await Promise.all([unpack, collect]);
  } catch {
    // Whichever failed first, tear the rest down: nothing more is inflated.
    parser.destroy();
    if (crossed !== undefined)
      throw new CapstanError(
        'release_archive_too_large',
        `The release archive is too large once unpacked: ${crossed}.`,
      );
    throw new CapstanError('release_invalid', 'The archive is not a well-formed gzip-compressed tar.');
  }
  return files;
}
