import { gunzipSync } from 'node:zlib';
import { extract } from 'tar-stream';

/**
 * The regular files of a `.tgz`, by path (a leading `./` dropped). Sizes are bounded by the
 * caller's body limit; entries other than files (links, devices) are ignored, never followed.
 */
export async function readTgz(bytes: Buffer): Promise<Map<string, Buffer>> {
  const tar = gunzipSync(bytes);
  const files = new Map<string, Buffer>();
  const parser = extract();
  const done = (async () => {
    for await (const entry of parser) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      if (entry.header.type === 'file')
        files.set(entry.header.name.replace(/^\.\//, ''), Buffer.concat(chunks));
    }
  })();
  parser.end(tar);
  await done;
  return files;
}
