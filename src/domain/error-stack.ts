/** The frames of a step's stack kept with its failure: enough to find the line, not a novel. */
export const MAX_STACK_FRAMES = 20;
/** A stack is kept to at most this many characters, whatever its frames. */
export const MAX_STACK_CHARS = 4096;

/**
 * A stack as it is stored and shown: the message line(s) and the first `MAX_STACK_FRAMES`
 * frames, cut to `MAX_STACK_CHARS`; a cut says how much was left out. Undefined for none.
 */
export function truncateStack(stack: unknown): string | undefined {
  if (typeof stack !== 'string' || stack.trim() === '') return undefined;
  const lines = stack.trimEnd().split('\n');
  const frames = lines.filter((line) => /^\s+at /.test(line)).length;
  let kept = lines;
  if (frames > MAX_STACK_FRAMES) {
    let seen = 0;
    kept = lines.filter((line) => !/^\s+at /.test(line) || ++seen <= MAX_STACK_FRAMES);
    kept.push(`    ... ${frames - MAX_STACK_FRAMES} more frames`);
  }
  const text = kept.join('\n');
  return text.length <= MAX_STACK_CHARS ? text : `${text.slice(0, MAX_STACK_CHARS - 16)}\n    ... (cut)`;
}
