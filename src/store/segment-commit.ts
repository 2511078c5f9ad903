import type { CommitSegmentCommand } from './store-port.ts';

/**
 * Thrown inside a segment's transaction when a write after the segment's first lost its
 * guard: the first already moved the execution, so the transaction must be rolled back for
 * nothing of the segment to remain. The store catches it and answers `false`, as for a
 * fence lost at the first write.
 */
export class FenceLostMidSegment extends Error {
  constructor(executionId: string, stepIndex: number) {
    super(`execution ${executionId} lost its fence at step ${stepIndex} of a segment commit`);
    this.name = 'FenceLostMidSegment';
  }
}

/**
 * Throws unless the outputs are consecutive steps and the outcome is at the step right after
 * them: the fence holds each write at the step the previous one moved to, so a segment of any
 * other shape would lose its guard midway by construction.
 */
export function assertSegmentShape(c: CommitSegmentCommand): void {
  const first = c.outputs[0]?.stepIndex ?? c.outcome.stepIndex;
  const steps = [...c.outputs.map((o) => o.stepIndex), c.outcome.stepIndex];
  if (steps.some((stepIndex, i) => stepIndex !== first + i))
    throw new Error(`a segment commit's steps must be consecutive, got ${steps.join(', ')}`);
}

/** What a segment commit answers when its transaction threw `FenceLostMidSegment`: lost, nothing written. */
export function lostMidSegment(error: unknown): false {
  if (error instanceof FenceLostMidSegment) return false;
  throw error;
}
