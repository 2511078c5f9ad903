/**
 * The words of one shell command line as a POSIX shell splits them, for the runbook blocks the
 * tests run as written: whitespace between words, '…' taken literally, "…" with `$NAME` and
 * `${NAME}` filled in (and `\"`, `\\`, `\$` escaped), parts of one word joined
 * (`name@"$RELEASE"`), and an unquoted `|` as a pipe. Only what runbooks need: a variable outside
 * double quotes, a glob, a redirection or a command substitution inside a word is refused rather
 * than half understood.
 */

/** One piece of a word: literal text, or a variable filled in when the command runs. */
export type WordPart = { readonly text: string } | { readonly variable: string };

/** A word, or the pipe between two commands. */
export type ShellToken = { readonly word: readonly WordPart[] } | { readonly pipe: true };

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/** Splits `line` into words and pipes; throws on anything outside the subset above. */
export function shellTokens(line: string): ShellToken[] {
  const tokens: ShellToken[] = [];
  let parts: WordPart[] | undefined;
  const text = (t: string) => {
    parts ??= [];
    const last = parts.at(-1);
    if (last && 'text' in last) parts[parts.length - 1] = { text: last.text + t };
    else parts.push({ text: t });
  };
  const variable = (name: string) => (parts ??= []).push({ variable: name });
  const endWord = () => {
    if (parts) tokens.push({ word: parts });
    parts = undefined;
  };
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`${why} at column ${i + 1} of: ${line}`);
  };
  /** Reads `$NAME` or `${NAME}` at i (which is on the `$`) and returns the name. */
  const readVariable = (): string => {
    const braced = line[i + 1] === '{';
    const name = NAME.exec(line.slice(i + (braced ? 2 : 1)))?.[0];
    if (!name) return fail('a `$` that names no variable');
    if (braced && line[i + 2 + name.length] !== '}') fail('an unclosed `${`');
    i += (braced ? 3 : 1) + name.length;
    return name;
  };
  while (i < line.length) {
    const c = line[i] as string;
    if (c === ' ' || c === '\t') {
      endWord();
      i++;
    } else if (c === '|') {
      endWord();
      tokens.push({ pipe: true });
      i++;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) fail('an unclosed single quote');
      text(line.slice(i + 1, end));
      i = end + 1;
    } else if (c === '"') {
      parts ??= [];
      i++;
      for (;;) {
        if (i >= line.length) fail('an unclosed double quote');
        const d = line[i] as string;
        if (d === '"') break;
        if (d === '\\' && ['"', '\\', '$', '`'].includes(line[i + 1] ?? '')) {
          text(line[i + 1] as string);
          i += 2;
        } else if (d === '$') variable(readVariable());
        else if (d === '`') fail('a command substitution');
        else {
          text(d);
          i++;
        }
      }
      i++;
    } else if (c === '\\' && i + 1 < line.length) {
      text(line[i + 1] as string);
      i += 2;
    } else if (c === '$') {
      fail('a variable outside double quotes (runbooks quote theirs: "$NAME")');
    } else if ('<>;&`*?()'.includes(c)) {
      fail(`\`${c}\`, which runbook commands do not use`);
    } else {
      text(c);
      i++;
    }
  }
  endWord();
  return tokens;
}

/** A word with its variables filled in from `vars`; a variable `vars` lacks is an error. */
export function expandWord(parts: readonly WordPart[], vars: Readonly<Record<string, string>>): string {
  return parts
    .map((part) => {
      if ('text' in part) return part.text;
      const value = vars[part.variable];
      if (value === undefined) throw new Error(`$${part.variable} is used but not set`);
      return value;
    })
    .join('');
}

/** `$NAME` and `${NAME}` in the body of an unquoted here-document, filled in from `vars`. */
export function expandHereDocument(body: string, vars: Readonly<Record<string, string>>): string {
  return body.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_, a, b) =>
    expandWord([{ variable: (a ?? b) as string }], vars),
  );
}
