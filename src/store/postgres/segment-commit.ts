import { FenceLostMidSegment } from '../segment-commit.ts';
import type { CommitSegmentCommand, Fence, SegmentOutcome } from '../store-port.ts';
import type { CommandKind } from './group-commit.ts';
import { fail } from './segment-commands.ts';
import { checkpoints, succeeds } from './step-commits.ts';
import { suspends } from './suspend.ts';
import { expand } from './item-commands.ts';

/** One segment commit of a batch: whether its guard matched so far, and whether it wrote anything yet. */
interface Segment {
  readonly c: CommitSegmentCommand;
  readonly fence: Fence;
  won: boolean;
  wrote: boolean;
}

/** A write of some segments through one command kind, each with the input it gives that kind. */
type Writes<I> = readonly { readonly segment: Segment; readonly input: I }[];

/**
 * Every segment commit of a group-commit batch, through the statements its commands run alone:
 * the first outputs of every segment as one `checkpoints` statement, then the second outputs
 * of those still winning, and so on; then the outcomes, the successes and the suspensions each
 * as one statement, the failures one by one as `fail` runs. So a segment writes exactly what
 * its commands would, and a batch costs as many round trips as its longest segment has
 * writes, however many segments it holds.
 *
 * A segment whose first write lost its fence wrote nothing and is answered false. One whose
 * later write lost (its first write held the row, so only another command of the same holder
 * in the batch can have moved it) throws `FenceLostMidSegment`: the batch is then run again,
 * each command alone in its savepoint, where this one's rollback leaves nothing of it.
 */
export const segmentCommits: CommandKind<CommitSegmentCommand, boolean> = {
  runAll: async (db, cs) => {
    const segments: Segment[] = cs.map((c) => ({
      c,
      fence: { executionId: c.executionId, leaseEpoch: c.leaseEpoch },
      won: true,
      wrote: false,
    }));
    const depth = Math.max(0, ...cs.map((c) => c.outputs.length));
    for (let i = 0; i < depth; i += 1) {
      const writes = segments.flatMap((segment) => {
        const output = segment.c.outputs[i];
        if (!segment.won || !output) return [];
        return [{ segment, input: { ...segment.fence, ...output, nowMs: segment.c.nowMs } }];
      });
      await write(writes, (inputs) => checkpoints.runAll(db, inputs));
    }
    await write(ending(segments, 'succeed'), (inputs) => succeeds.runAll(db, inputs));
    await write(ending(segments, 'suspend'), (inputs) => suspends.runAll(db, inputs));
    await write(ending(segments, 'expand'), async (inputs) => {
      const results: boolean[] = [];
      for (const { executionId, leaseEpoch, nowMs, ...o } of inputs)
        results.push(await expand(db, { executionId, leaseEpoch }, { kind: 'expand', ...o }, nowMs));
      return results;
    });
    await write(ending(segments, 'fail'), async (inputs) => {
      const results: boolean[] = [];
      for (const input of inputs) results.push(await fail(db, input));
      return results;
    });
    return segments.map((s) => s.won);
  },
};

/** The outcome commands of the winning segments that end `kind`, with their fence and instant. */
function ending<K extends SegmentOutcome['kind']>(
  segments: readonly Segment[],
  kind: K,
): Writes<Fence & Omit<Extract<SegmentOutcome, { kind: K }>, 'kind'> & { nowMs: number }> {
  return segments.flatMap((segment) => {
    const o = segment.c.outcome;
    if (!segment.won || o.kind !== kind) return [];
    const { kind: _, ...fields } = o as Extract<SegmentOutcome, { kind: K }>;
    return [{ segment, input: { ...segment.fence, ...fields, nowMs: segment.c.nowMs } }];
  });
}

/**
 * Runs one write of each of `writes`' segments, then marks those whose guard did not match as
 * lost; a loss after a segment's first write throws (see `segmentCommits`).
 */
async function write<I>(writes: Writes<I>, run: (inputs: I[]) => Promise<boolean[]>): Promise<void> {
  if (writes.length === 0) return;
  const results = await run(writes.map((w) => w.input));
  writes.forEach(({ segment }, j) => {
    if (results[j]) {
      segment.wrote = true;
      return;
    }
    if (segment.wrote) throw new FenceLostMidSegment(segment.c.executionId, segment.c.outcome.stepIndex);
    segment.won = false;
  });
}
