import { createHash } from 'node:crypto';

/** An array or object being written, and how far. */
type Frame =
  | { readonly array: readonly unknown[]; readonly value: object; index: number }
  | { readonly keys: readonly string[]; readonly value: object; index: number; written: boolean };

const isContainer = (value: unknown): value is object => value !== null && typeof value === 'object';
/** JSON.stringify's rule: in an object these members are left out; in an array they are `null`. */
const isSkipped = (value: unknown): boolean =>
  value === undefined || typeof value === 'function' || typeof value === 'symbol';

/** An array index as JavaScript objects order them: a canonical integer string below 2^32 - 1. */
const isIndex = (key: string): boolean => /^(0|[1-9]\d{0,9})$/.test(key) && Number(key) < 4_294_967_295;

/**
 * Key order: array-index keys first, in numeric order, then the others by code unit. It is the
 * order a JavaScript object gives keys inserted sorted, which is what canonical JSON has always
 * written (and hashed), so fingerprints and contract versions stay what they were.
 */
function orderedKeys(value: object): string[] {
  const keys = Object.keys(value);
  const indices = keys.filter(isIndex).sort((a, b) => Number(a) - Number(b));
  return [...indices, ...keys.filter((key) => !isIndex(key)).sort()];
}

/**
 * Canonical JSON: object keys sorted by code unit (array-index keys first, see `orderedKeys`), no insignificant white space, `undefined`
 * members dropped. Two values that mean the same JSON give the same text, whatever order or
 * formatting they came in, so it is what fingerprints and contract versions hash.
 *
 * Written with an explicit stack, not recursion: a value nested a hundred thousand deep (a
 * client can send one) is written like any other, never a stack overflow. Objects are read by
 * their own enumerable keys (`toJSON` is not consulted); a cycle is a TypeError, as it is for
 * `JSON.stringify`.
 */
export function canonicalJson(value: unknown): string {
  if (!isContainer(value)) return JSON.stringify(value);
  const out: string[] = [];
  const stack: Frame[] = [];
  const onPath = new Set<object>();
  /** Writes a value: a primitive at once, an array or object by opening its frame. */
  const write = (member: unknown): void => {
    if (!isContainer(member)) {
      out.push(JSON.stringify(member) ?? 'null');
      return;
    }
    if (onPath.has(member)) throw new TypeError('Converting circular structure to canonical JSON');
    onPath.add(member);
    if (Array.isArray(member)) {
      out.push('[');
      stack.push({ array: member, value: member, index: 0 });
    } else {
      out.push('{');
      stack.push({ keys: orderedKeys(member), value: member, index: 0, written: false });
    }
  };
  const close = (frame: Frame, bracket: string): void => {
    out.push(bracket);
    stack.pop();
    onPath.delete(frame.value);
  };

  write(value);
  for (let frame = stack.at(-1); frame !== undefined; frame = stack.at(-1)) {
    if ('array' in frame) {
      if (frame.index >= frame.array.length) close(frame, ']');
      else {
        if (frame.index > 0) out.push(',');
        write(frame.array[frame.index++]);
      }
      continue;
    }
    let key: string | undefined;
    let member: unknown;
    while (key === undefined && frame.index < frame.keys.length) {
      const candidate = frame.keys[frame.index++] ?? '';
      member = Reflect.get(frame.value, candidate);
      if (!isSkipped(member)) key = candidate;
    }
    if (key === undefined) {
      close(frame, '}');
      continue;
    }
    out.push(`${frame.written ? ',' : ''}${JSON.stringify(key)}:`);
    frame.written = true;
    write(member);
  }
  return out.join('');
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** `sha256:<hex>` of the canonical JSON of a value. */
export function fingerprint(value: unknown): string {
  return `sha256:${sha256Hex(canonicalJson(value))}`;
}
