import { randomUUID } from 'node:crypto';

/** Randomness: retry jitter and identifiers. Injected so a seeded world can replay a run exactly. */
export interface Random {
  /** A float in [0, 1). */
  next(): number;
  /** A random (version 4 shaped) UUID. */
  uuid(): string;
}

export const systemRandom: Random = {
  next: () => Math.random(),
  uuid: () => randomUUID(),
};

/** A deterministic generator (mulberry32) for tests and simulation. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const hex = (): string =>
    Math.floor(next() * 0x10000)
      .toString(16)
      .padStart(4, '0');
  return {
    next,
    uuid: () =>
      `${hex()}${hex()}-${hex()}-4${hex().slice(1)}-${(8 + Math.floor(next() * 4)).toString(16)}${hex().slice(1)}-${hex()}${hex()}${hex()}`,
  };
}
