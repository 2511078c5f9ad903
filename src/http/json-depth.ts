/**
 * Whether JSON text nests objects and arrays deeper than `maxDepth`, found by one scan of the
 * text before it is parsed: a hostile body is refused without building it, and nothing
 * downstream (schema checks, canonical JSON, the store) ever sees a value deeper than the limit.
 * Brackets inside strings do not count; the text need not be valid JSON (the parser decides that).
 */
export function jsonNestsDeeperThan(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > maxDepth) return true;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    }
  }
  return false;
}
