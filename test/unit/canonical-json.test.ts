import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalJson, fingerprint } from '../../src/util/canonical-json.ts';

/** The recursive implementation canonical JSON had before it was made iterative: the reference. */
function recursiveCanonicalJson(value: unknown): string {
  const sortKeys = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sortKeys);
    if (v !== null && typeof v === 'object') {
      const source = v as Record<string, unknown>;
      const sorted: Record<string, unknown> = {};
      for (const key of Object.keys(source).sort()) {
        if (source[key] !== undefined) sorted[key] = sortKeys(source[key]);
      }
      return sorted;
    }
    return v;
  };
  return JSON.stringify(sortKeys(value));
}

test('canonical JSON: byte-identical to the recursive implementation on representative values', () => {
  const values: unknown[] = [
    null,
    true,
    0,
    -0,
    1e21,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    'plain',
    'quotes " and \\ and \n and \u0001 and \ud800 alone and é and 😀',
    [],
    {},
    [[], {}, [[]], { a: {} }],
    { b: 1, a: 2, A: 3, _: 4, '10': 5, '9': 6, é: 7, 'z z': 8, '-1': 9, '01': 10, '1.5': 11 },
    { '4294967294': 1, '4294967295': 2, '4294967296': 3, '0': 4, '99999999999': 5 },
    { z: { y: [3, { d: 1, c: [2, 1] }], x: null }, a: [true, false, 'x'] },
    { kept: 1, dropped: undefined, fn: () => 1, sym: Symbol('s'), arr: [undefined, () => 1, Symbol('t')] },
    // eslint-disable-next-line no-sparse-arrays -- a hole is written as null
    [1, , 3],
    { date: new Date(0), boxed: new Number(4), text: new String('ab'), bytes: new Uint8Array([1, 2]) },
    JSON.parse(
      '{"pipelineId":"restaurant-approval","input":{"requestId":"6f1c2a9e","items":"2x pasta","totalAmount":"27.50","currency":"EUR","nested":{"b":[1,2,{"y":1,"x":2}],"a":"\\u2028"}}}',
    ),
  ];
  for (const value of values) assert.equal(canonicalJson(value), recursiveCanonicalJson(value));
  const shared = { b: 2, a: 1 };
  assert.equal(canonicalJson({ x: shared, y: [shared] }), '{"x":{"a":1,"b":2},"y":[{"a":1,"b":2}]}');
});

test('canonical JSON: byte-identical to the recursive implementation on generated values', () => {
  let seed = 42;
  const random = (n: number) => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed % n;
  };
  const keys = ['a', 'B', '0', '7', '10', '007', '-3', 'ß', '\u{1F600}', 'x y', '4294967295', ''];
  const generate = (depth: number): unknown => {
    const kind = depth > 4 ? random(4) : random(6);
    if (kind === 0) return random(2) === 0 ? null : random(1000) / 7;
    if (kind === 1) return keys[random(keys.length)];
    if (kind === 2) return random(2) === 0;
    if (kind === 3) return random(3) === 0 ? undefined : -random(100);
    if (kind === 4) return Array.from({ length: random(4) }, () => generate(depth + 1));
    return Object.fromEntries(
      Array.from({ length: random(6) }, () => [keys[random(keys.length)], generate(depth + 1)]),
    );
  };
  for (let i = 0; i < 500; i += 1) {
    const value = generate(0);
    assert.equal(canonicalJson(value), recursiveCanonicalJson(value));
  }
});

test('canonical JSON: nesting 100,000 deep is written, not a stack overflow', () => {
  const depth = 100_000;
  let arrays: unknown = 0;
  let objects: unknown = 'leaf';
  for (let i = 0; i < depth; i += 1) {
    arrays = [arrays];
    objects = { b: objects, a: i };
  }
  assert.equal(canonicalJson(arrays), `${'['.repeat(depth)}0${']'.repeat(depth)}`);
  const text = canonicalJson(objects);
  assert.ok(text.startsWith(`{"a":${depth - 1},"b":{"a":${depth - 2},"b":`));
  assert.ok(text.endsWith(`"b":"leaf"${'}'.repeat(depth)}`));
  assert.match(fingerprint(objects), /^sha256:[0-9a-f]{64}$/);
});

test('canonical JSON: a cycle is a TypeError, not a hang', () => {
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = [cyclic];
  assert.throws(() => canonicalJson(cyclic), TypeError);
});

test('canonical JSON: a "__proto__" member (JSON.parse keeps it) is written like any other', () => {
  const value: unknown = JSON.parse('{"b":1,"__proto__":{"polluted":true}}');
  assert.equal(canonicalJson(value), '{"__proto__":{"polluted":true},"b":1}');
  assert.notEqual(fingerprint(value), fingerprint({ b: 1 }));
});
