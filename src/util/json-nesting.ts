/**
 * Whether a parsed JSON value nests arrays and objects more than `max` deep. Walked with an
 * explicit stack, so the check itself is safe on any depth; used where a document that is
 * otherwise trusted in shape (a release's contract) goes on to recursive code such as schema
 * compilation and `JSON.stringify`, which would overflow the stack on a deep one.
 */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    if (next.value === null || typeof next.value !== 'object') continue;
    const depth = next.depth + 1;
    if (depth > max) return true;
    for (const member of Object.values(next.value)) stack.push({ value: member, depth });
  }
  return false;
}

/**
 * Whether JSON text nests objects and arrays deeper than `maxDepth`, found by one scan of the
 * text before it is parsed: a hostile body is refused without building it, and nothing
 * downstream (schema checks, canonical JSON, the store) ever sees a value deeper than the limit.
 * Brackets inside strings do not count; the text need not be valid JSON (the parser decides that).
 */
export function textNestsDeeperThan(text: string, maxDepth: number): boolean {
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
