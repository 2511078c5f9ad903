import { deterministicTgz } from '../../src/releases/artifact-bundle.ts';

/** A `.tgz` of one zero-filled entry: a few KB that unpack to `unpackedBytes` and more. */
export function gzipBomb(unpackedBytes: number): Promise<Buffer> {
  return deterministicTgz([{ name: 'zeros.bin', content: Buffer.alloc(unpackedBytes) }]);
}

/** A `.tgz` of `count` small entries. */
export function manyEntries(count: number): Promise<Buffer> {
  return deterministicTgz(
    Array.from({ length: count }, (_, i) => ({ name: `f${i}.txt`, content: Buffer.from(`${i}\n`) })),
  );
}
