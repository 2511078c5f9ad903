import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { CapstanError } from '../errors/catalog.ts';

/** Long enough for any disk; a stuck network mount answers a refusal instead of hanging the request. */
const READ_TIMEOUT_MS = 15_000;

/**
 * The bytes of a regular file, and nothing else: a FIFO, socket, device or directory is
 * `release_invalid`. The open is non-blocking, so a FIFO with no writer cannot hold it (a blocking
 * open would wait for one forever), and the type is checked on the open descriptor itself, so what
 * was checked is what is read. Other failures (missing, unreadable, slow) reject as they come.
 */
export async function readRegularFile(path: string, timeoutMs = READ_TIMEOUT_MS): Promise<Buffer> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  try {
    if (!(await handle.stat()).isFile())
      throw new CapstanError('release_invalid', `${path} is not a regular file.`);
    return await handle.readFile({ signal: AbortSignal.timeout(timeoutMs) });
  } finally {
    await handle.close();
  }
}
