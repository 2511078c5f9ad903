import { readFile } from 'node:fs/promises';
import { InvalidArgumentError, type Command } from 'commander';
import { CliError, localCodes } from '../errors/cli-error.ts';

/** A commander parser for a non-negative integer option (a bad value is a usage error, exit 2). */
export function integer(value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError('expected a non-negative integer.');
  return Number(value.trim());
}

/** A commander parser for a point in time: epoch milliseconds or an ISO 8601 date; gives epoch ms. */
export function timestamp(value: string): number {
  const text = value.trim();
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(ms))
    throw new InvalidArgumentError('expected epoch milliseconds or an ISO 8601 date.');
  return ms;
}

async function readSource(file: string): Promise<string> {
  if (file !== '-') return readFile(file, 'utf8');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A JSON value given inline (`--input '{…}'`) or as a file (`--input-file path`, `-` for stdin).
 * Exactly one of the two is a usage error otherwise (exit 2); a malformed value is refused
 * before any request (exit 5).
 */
export async function jsonArgument(
  command: Command,
  name: string,
  inline: string | undefined,
  file: string | undefined,
): Promise<unknown> {
  if (inline !== undefined && file !== undefined)
    command.error(`error: give either --${name} or --${name}-file, not both`);
  if (inline === undefined && file === undefined)
    command.error(`error: one of --${name} <json> or --${name}-file <path> is required`);
  let text: string;
  if (inline !== undefined) text = inline;
  else {
    try {
      text = await readSource(file ?? '-');
    } catch (error) {
      throw new CliError(
        localCodes.invalidArgument,
        `cannot read --${name}-file ${file}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const source = inline !== undefined ? `--${name}` : `--${name}-file ${file}`;
    throw new CliError(
      localCodes.invalidArgument,
      `${source} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
