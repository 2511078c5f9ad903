import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CliRun } from './cli-run.ts';
import { jq } from './jq-subset.ts';
import {
  expandHereDocument,
  expandWord,
  shellTokens,
  type ShellToken,
  type WordPart,
} from './shell-words.ts';

const ROOT = resolve(import.meta.dirname, '../..');

// A doc's fenced block tagged `sh rehearsal=<name>` is a runbook step a test runs exactly as the
// doc writes it. Its lines, in order, are each one of:
//
//   npx capstan <args>                                     a command
//   npx capstan <args> <<EOF … EOF                          the same, with a here-document on stdin
//   NAME=$(npx capstan <args> | jq -r [--arg n "$V"] '<filter>')   a value carried to later lines
//   # a comment, or a blank line
//
// split into words as a shell would (quotes, "$VARS"; see shell-words.ts). Any other line is
// refused, so a rehearsal block can hold nothing the test does not run.

/** One parsed line: the command's words, and what is done with its output. */
interface RunbookStep {
  readonly line: string;
  readonly words: readonly (readonly WordPart[])[];
  /** The here-document fed to stdin, and whether its `$VARS` are filled in (`<<EOF`, not `<<'EOF'`). */
  readonly stdin?: { readonly body: string; readonly expand: boolean };
  /** `NAME=$(… | jq …)`: the variable set from jq's output, and jq's own words. */
  readonly capture?: { readonly name: string; readonly jq: readonly (readonly WordPart[])[] };
}

/** What one line did when it ran. */
export interface RunbookRun extends CliRun {
  readonly line: string;
  /** The capstan arguments it ran with, variables filled in. */
  readonly args: readonly string[];
}

function blockOf(doc: string, name: string): string {
  const text = readFileSync(resolve(ROOT, doc), 'utf8');
  const block = new RegExp(`\`\`\`sh rehearsal=${name}\\n([\\s\\S]*?)\`\`\``).exec(text)?.[1];
  if (block === undefined) throw new Error(`${doc} has no block tagged rehearsal=${name}`);
  return block;
}

const wordsOf = (tokens: ShellToken[], line: string): (readonly WordPart[])[] =>
  tokens.map((token) => {
    if ('pipe' in token) throw new Error(`a pipe where none is expected: ${line}`);
    return token.word;
  });

/** The `npx capstan` words of a command, without those two. */
function capstanWords(tokens: ShellToken[], line: string): (readonly WordPart[])[] {
  const words = wordsOf(tokens, line);
  const literal = (w: readonly WordPart[] | undefined) =>
    w?.length === 1 && w[0] && 'text' in w[0] ? w[0].text : undefined;
  if (literal(words[0]) !== 'npx' || literal(words[1]) !== 'capstan')
    throw new Error(`a rehearsal line must run \`npx capstan …\`: ${line}`);
  return words.slice(2);
}

/** Parses a block into its steps. */
export function runbookSteps(doc: string, name: string): RunbookStep[] {
  const lines = blockOf(doc, name).replace(/\\\n/g, ' ').split('\n');
  const steps: RunbookStep[] = [];
  for (let n = 0; n < lines.length; n++) {
    const line = (lines[n] as string).trim();
    if (line === '' || line.startsWith('#')) continue;
    const capture = /^([A-Z_][A-Z0-9_]*)=\$\((.*)\)$/.exec(line);
    if (capture) {
      const tokens = shellTokens(capture[2] as string);
      const pipe = tokens.findIndex((t) => 'pipe' in t);
      const jqWords = pipe < 0 ? [] : wordsOf(tokens.slice(pipe + 1), line);
      const jqName = jqWords[0]?.[0];
      if (pipe < 0 || !jqName || !('text' in jqName) || jqName.text !== 'jq')
        throw new Error(`a captured value is read with \`| jq …\`: ${line}`);
      steps.push({
        line,
        words: capstanWords(tokens.slice(0, pipe), line),
        capture: { name: capture[1] as string, jq: jqWords.slice(1) },
      });
      continue;
    }
    const hereDoc = /\s<<(')?([A-Z_]+)\1$/.exec(line);
    if (hereDoc) {
      const end = lines.indexOf(hereDoc[2] as string, n + 1);
      if (end < 0) throw new Error(`${doc}: the here-document of "${line}" does not end`);
      steps.push({
        line,
        words: capstanWords(shellTokens(line.slice(0, hereDoc.index)), line),
        stdin: { body: `${lines.slice(n + 1, end).join('\n')}\n`, expand: hereDoc[1] === undefined },
      });
      n = end;
      continue;
    }
    steps.push({ line, words: capstanWords(shellTokens(line), line) });
  }
  return steps;
}

/**
 * The `npx capstan …` commands of a block with no captured values, as argument lists, each
 * variable filled in from `vars`: for a test that runs them itself (or starts one as a process).
 */
export function runbookCommands(doc: string, name: string, vars: Record<string, string>): string[][] {
  return runbookSteps(doc, name).map((step) => {
    if (step.capture || step.stdin) throw new Error(`use runRunbook for "${step.line}"`);
    return step.words.map((w) => expandWord(w, vars));
  });
}

/**
 * Runs a block line by line with `run` (the CLI), as a shell with `set -e` would: a variable a
 * line captures is set for the lines after it (and in `vars`, for the test's own checks), and a
 * line that exits non-zero stops the block with its output, unless `expectFailure` (then every
 * line runs and the test reads the exit codes).
 */
export async function runRunbook(
  doc: string,
  name: string,
  vars: Record<string, string>,
  run: (args: string[], stdin?: string) => Promise<CliRun>,
  options: { expectFailure?: boolean } = {},
): Promise<RunbookRun[]> {
  const runs: RunbookRun[] = [];
  for (const step of runbookSteps(doc, name)) {
    const args = step.words.map((w) => expandWord(w, vars));
    const stdin =
      step.stdin && (step.stdin.expand ? expandHereDocument(step.stdin.body, vars) : step.stdin.body);
    const result = await run(args, stdin);
    runs.push({ ...result, line: step.line, args });
    if (result.code !== 0 && !options.expectFailure) {
      throw new Error(
        `${doc} rehearsal=${name}: "${step.line}" exited ${result.code}\n` +
          `stdout: ${result.stdout}\nstderr: ${result.stderr}`,
      );
    }
    if (step.capture && result.code === 0) {
      const words = step.capture.jq.map((w) => expandWord(w, vars));
      // As `$(…)` does: the output without its trailing newlines.
      vars[step.capture.name] = jq(words, result.stdout).replace(/\n+$/, '');
    }
  }
  return runs;
}

/** The run of the first line whose arguments start with `command` (e.g. `release active`). */
export function runOf(runs: readonly RunbookRun[], command: string): RunbookRun {
  const words = command.split(' ');
  const found = runs.find((r) => words.every((w, i) => r.args[i] === w));
  if (!found) throw new Error(`no \`capstan ${command}\` line ran: ${runs.map((r) => r.line).join(' / ')}`);
  return found;
}
