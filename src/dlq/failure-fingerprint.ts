import { createHash } from 'node:crypto';

/**
 * Failure fingerprints: one short id for "the same failure", so the DLQ can be grouped by
 * cause rather than listed execution by execution (docs/dlq.md#fingerprints).
 *
 * The fingerprint hashes the pipeline, the step, the error code and the message with its
 * variable parts replaced by placeholders: two executions that failed the same way differ in
 * their ids, amounts and quoted values, not in the text around them. The release is left out
 * on purpose, so a failure that survives a new release keeps its group.
 */

/** The placeholders the variable parts of a message become. */
export const Placeholder = {
  QUOTED: '<str>',
  UUID: '<uuid>',
  HEX: '<hex>',
  NUMBER: '<n>',
} as const;

// Applied in this order: a quoted value may hold a uuid or digits, a uuid holds hex runs and
// digits, and a hex id holds digits, so each kind is taken whole before its parts are.
const QUOTED = /"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g;
const UUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;
// 0x-prefixed, or a run of 8+ hex characters holding at least one digit (a plain word such as
// "deadbeef" or "accepted" is not an id, a hash or an object id is).
const HEX = /\b0x[0-9a-f]+\b|\b(?=[0-9a-f]*\d)[0-9a-f]{8,}\b/gi;
const NUMBER = /\d+(?:\.\d+)?/g;

/** How much of a message is fingerprinted: enough to tell causes apart, bounded for the hash. */
const MAX_NORMALISED = 500;

/**
 * The message with its variable parts replaced: quoted strings, UUIDs, hex ids and numbers
 * become `<str>`, `<uuid>`, `<hex>` and `<n>`; runs of whitespace become one space.
 */
export function normaliseFailureMessage(message: string): string {
  return message
    .replace(QUOTED, Placeholder.QUOTED)
    .replace(UUID, Placeholder.UUID)
    .replace(HEX, Placeholder.HEX)
    .replace(NUMBER, Placeholder.NUMBER)
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, MAX_NORMALISED);
}

/** What a failure is fingerprinted by. */
export interface FailureFacts {
  readonly pipelineId: string;
  readonly stepId: string;
  readonly errorCode: string;
  readonly errorMessage: string;
}

/** Hex characters of a fingerprint: 64 bits, ample to keep a tenant's distinct causes apart. */
export const FINGERPRINT_LENGTH = 16;

/** The failure's fingerprint: the first 16 hex characters of a SHA-256 over its facts. */
export function failureFingerprint(f: FailureFacts): string {
  // JSON keeps the fields apart: no pipeline/step pair can run into the next field.
  const facts = JSON.stringify([
    f.pipelineId,
    f.stepId,
    f.errorCode,
    normaliseFailureMessage(f.errorMessage),
  ]);
  return createHash('sha256').update(facts).digest('hex').slice(0, FINGERPRINT_LENGTH);
}
