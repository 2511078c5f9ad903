import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

/**
 * The `npx capstan …` commands of a doc's fenced block tagged `rehearsal=<name>` (indented in a
 * list item or not), as argument lists, each `"$VAR"` replaced from `vars`, alone or within a
 * word (`pipeline@"$V2"`): tests run the runbook exactly as the doc writes it.
 */
export function runbookCommands(doc: string, name: string, vars: Record<string, string>): string[][] {
  const text = readFileSync(resolve(ROOT, doc), 'utf8');
  const block = new RegExp(`\`\`\`sh rehearsal=${name}\\n([\\s\\S]*?)\`\`\``).exec(text)?.[1];
  if (block === undefined) throw new Error(`${doc} has no block tagged rehearsal=${name}`);
  return block
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('npx capstan '))
    .map((line) =>
      line
        .slice('npx capstan '.length)
        .split(/\s+/)
        .map((word) =>
          word.replace(/"\$([A-Z0-9_]+)"/g, (_, key: string) => {
            const value = vars[key];
            if (value === undefined) throw new Error(`${doc} uses $${key}, which the test does not set`);
            return value;
          }),
        ),
    );
}
