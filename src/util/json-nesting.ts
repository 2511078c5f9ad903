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
