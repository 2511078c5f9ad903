/**
 * The few jq filters the runbooks use to carry a value from one command's `--json` output to
 * the next command, evaluated as jq does, so a test runs the runbook line without jq installed:
 * stages joined by `|`, each one of `.`, a path (`.items[0].executionId`, `.requestPayload.orderId`),
 * `.[]` (each element), and `select(<path> == $name)` or `select(<path> == "text")`, with
 * `--arg name value`. `-r` prints strings raw. Anything else is refused, never guessed at.
 */

type Stage = (value: unknown) => unknown[];
type PathStep = { readonly key: string } | { readonly each: true } | { readonly index: number };

const PATH = /^\.(?:[A-Za-z_][A-Za-z0-9_]*|\[\d*\])?(?:\.[A-Za-z_][A-Za-z0-9_]*|\[\d*\])*$/;

/** `.a.b[0][]`: each step a key, an index, or `[]` (every element). */
function pathStage(path: string): Stage {
  if (!PATH.test(path)) throw new Error(`jq: not a path this runner knows: ${path}`);
  const steps = [...path.matchAll(/\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d*)\]/g)].map(([, key, index]): PathStep =>
    key !== undefined ? { key } : index === '' ? { each: true } : { index: Number(index) },
  );
  return (value) => {
    let values = [value];
    for (const step of steps) {
      values = values.flatMap((v): unknown[] => {
        if ('each' in step) {
          if (Array.isArray(v)) return v;
          if (typeof v === 'object' && v !== null) return Object.values(v);
          throw new Error(`jq: cannot iterate over ${JSON.stringify(v ?? null)}`);
        }
        if (v === null || v === undefined) return [null];
        if ('key' in step) return [(v as Record<string, unknown>)[step.key] ?? null];
        return [Array.isArray(v) ? (v[step.index] ?? null) : null];
      });
    }
    return values;
  };
}

function selectStage(condition: string, args: Readonly<Record<string, string>>): Stage {
  const match = /^(\S+)\s*==\s*(?:\$([A-Za-z_][A-Za-z0-9_]*)|"((?:[^"\\]|\\.)*)")$/.exec(condition.trim());
  if (!match) throw new Error(`jq: not a select this runner knows: select(${condition})`);
  const [, path = '', argName, literal] = match;
  const left = pathStage(path);
  let right: string;
  if (argName !== undefined) {
    const value = args[argName];
    if (value === undefined) throw new Error(`jq: $${argName} is not defined (--arg ${argName} …)`);
    right = value;
  } else right = JSON.parse(`"${literal}"`) as string;
  return (value) => (left(value).some((v) => v === right) ? [value] : []);
}

/** Splits at the `|` outside parentheses and string literals. */
function splitStages(filter: string): string[] {
  const stages: string[] = [];
  let depth = 0;
  let inString = false;
  let start = 0;
  for (let i = 0; i < filter.length; i++) {
    const c = filter[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) {
      stages.push(filter.slice(start, i).trim());
      start = i + 1;
    }
  }
  stages.push(filter.slice(start).trim());
  return stages;
}

/**
 * Runs `jq <options> <filter>` on `input` (JSON text) and returns what jq prints: one line per
 * output, strings raw with `-r`. `words` are jq's arguments as the shell passes them.
 */
export function jq(words: readonly string[], input: string): string {
  let raw = false;
  let filter: string | undefined;
  const args: Record<string, string> = {};
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string;
    if (word === '-r' || word === '--raw-output') raw = true;
    else if (word === '--arg') {
      const [name, value] = [words[i + 1], words[i + 2]];
      if (name === undefined || value === undefined) throw new Error('jq: --arg needs a name and a value');
      args[name] = value;
      i += 2;
    } else if (word.startsWith('-')) throw new Error(`jq: option ${word} is not known to this runner`);
    else if (filter === undefined) filter = word;
    else throw new Error(`jq: one filter only (a second: ${word})`);
  }
  if (filter === undefined) throw new Error('jq: no filter');
  const stages = splitStages(filter).map((stage) => {
    const select = /^select\((.*)\)$/.exec(stage);
    return select ? selectStage(select[1] ?? '', args) : pathStage(stage);
  });
  let values: unknown[] = [JSON.parse(input) as unknown];
  for (const stage of stages) values = values.flatMap(stage);
  return values
    .map((v) => (raw && typeof v === 'string' ? v : JSON.stringify(v)))
    .map((line) => `${line}\n`)
    .join('');
}
