import { canonicalJson, sha256Hex } from '../util/canonical-json.ts';

/** The `prevHash` of an export's first line. */
export const GENESIS_HASH = '0'.repeat(64);

/** One exported journal event: the event, and the chain that ties it to the lines before. */
export interface ChainedLine {
  readonly event: unknown;
  readonly prevHash: string;
  readonly hash: string;
}

/** The export's last line: how many events precede it, so a cut-off end is seen too. */
export interface ChainEnd {
  readonly end: { readonly count: number };
  readonly prevHash: string;
  readonly hash: string;
}

/** sha256 over the canonical JSON of `value` followed by the previous line's hash. */
export const chainHash = (value: unknown, prevHash: string): string =>
  sha256Hex(canonicalJson(value) + prevHash);

/**
 * Writes events as chained JSON lines: each line's `hash` covers its event and the previous
 * line's hash, so changing, removing, moving or adding a line breaks every hash after it. The
 * end line counts the events, so dropping lines at the end is seen as well. A chain without a
 * key shows tampering, not who may have rewritten the whole file: keep the last hash elsewhere
 * (docs/history-export.md).
 */
export class ChainWriter {
  #prevHash = GENESIS_HASH;
  #count = 0;

  line(event: unknown): string {
    const hash = chainHash(event, this.#prevHash);
    const text = JSON.stringify({ event, prevHash: this.#prevHash, hash } satisfies ChainedLine);
    this.#prevHash = hash;
    this.#count += 1;
    return text;
  }

  /** The end line; the chain's final hash is its `hash`. */
  end(): string {
    const end = { count: this.#count };
    return JSON.stringify({
      end,
      prevHash: this.#prevHash,
      hash: chainHash({ end }, this.#prevHash),
    } satisfies ChainEnd);
  }
}

export type ChainVerdict =
  | { readonly ok: true; readonly events: number; readonly lastHash: string }
  | { readonly ok: false; readonly line: number; readonly reason: string };

/** Checks an export line by line; names the first line (1-based) where the chain breaks. */
export function verifyChain(lines: readonly string[]): ChainVerdict {
  let prevHash = GENESIS_HASH;
  let count = 0;
  const body = lines.at(-1) === '' ? lines.slice(0, -1) : lines;
  for (const [index, text] of body.entries()) {
    const line = index + 1;
    let parsed: Partial<ChainedLine & ChainEnd>;
    try {
      parsed = JSON.parse(text) as Partial<ChainedLine & ChainEnd>;
    } catch {
      return { ok: false, line, reason: 'not JSON' };
    }
    if (parsed === null || typeof parsed !== 'object')
      return { ok: false, line, reason: 'not a chained line' };
    if (parsed.prevHash !== prevHash)
      return { ok: false, line, reason: 'prevHash is not the previous line’s hash' };
    const isEnd = parsed.end !== undefined;
    const expected = chainHash(isEnd ? { end: parsed.end } : parsed.event, prevHash);
    if (parsed.hash !== expected) return { ok: false, line, reason: 'hash does not match the line' };
    if (isEnd) {
      if (parsed.end?.count !== count)
        return { ok: false, line, reason: `end counts ${parsed.end?.count}, not ${count}` };
      if (line !== body.length) return { ok: false, line: line + 1, reason: 'a line after the end line' };
      return { ok: true, events: count, lastHash: expected };
    }
    if (parsed.event === undefined) return { ok: false, line, reason: 'not a chained line' };
    prevHash = expected;
    count += 1;
  }
  return { ok: false, line: body.length + 1, reason: 'the end line is missing (lines cut off)' };
}
