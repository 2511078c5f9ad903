// What the statements that run a batch's commands of one kind together share. The commands
// arrive as parallel arrays, `unnest`ed into a CTE `input` with one row per command, numbered
// by `ord` (1-based, `WITH ORDINALITY`) in the order the commands were issued.

/**
 * The rows of `input` whose fence (execution, lease epoch, step) no earlier command of the
 * batch carries. Commands with the same fence would have run one after another, the first
 * winning the guard and moving the execution on; joined together, PostgreSQL would apply an
 * arbitrary one. So only the first is tried and the others lose, as they would have.
 */
export const FIRST_OF_EACH_FENCE = `SELECT DISTINCT ON (execution_id, lease_epoch, step_index) * FROM input
      ORDER BY execution_id, lease_epoch, step_index, ord`;

/** Which of `count` commands matched their guard, from the `ord` of the rows returned for those that did. */
export function matchedByOrd(count: number, matched: readonly { ord: number }[]): boolean[] {
  const result = new Array<boolean>(count).fill(false);
  for (const { ord } of matched) result[ord - 1] = true;
  return result;
}
