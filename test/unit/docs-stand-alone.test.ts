import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { anchorsOf } from '../support/markdown-anchors.ts';

/**
 * The repository stands alone: code and docs cite only what is in it (docs/architecture.md,
 * docs/worker-protocol.md, docs/compat.md …), never documents kept somewhere else.
 */
const root = resolve(import.meta.dirname, '../..');
const thisFile = resolve(import.meta.filename);

// Built from parts, so this file does not contain what it looks for.
const needles = [['reference', '/tpf.md'].join(''), ['SPEC', ' §'].join(''), ['..', '/shared'].join('')];

const SCANNED = ['src', 'docs', 'test', 'bench', 'examples', 'scripts', 'README.md'];
const SKIPPED_FOLDERS = new Set(['node_modules', 'results']);

function filesUnder(path: string): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true }).flatMap((entry) =>
    entry.name.startsWith('.') || (entry.isDirectory() && SKIPPED_FOLDERS.has(entry.name))
      ? []
      : filesUnder(join(path, entry.name)),
  );
}

/** Text files only: a file with a NUL byte (an archive fixture) is no citation. */
function textOf(file: string): string | undefined {
  const bytes = readFileSync(file);
  return bytes.includes(0) ? undefined : bytes.toString('utf8');
}

test('no file cites a document kept outside the repository', () => {
  const hits: string[] = [];
  for (const file of SCANNED.flatMap((p) => filesUnder(join(root, p)))) {
    if (resolve(file) === thisFile) continue;
    const text = textOf(file);
    if (text === undefined) continue;
    for (const [i, line] of text.split('\n').entries()) {
      for (const needle of needles)
        if (line.includes(needle)) hits.push(`${relative(root, file)}:${i + 1}: ${needle}`);
    }
  }
  assert.deepEqual(hits, [], 'point these at docs/ instead (docs/architecture.md, docs/worker-protocol.md)');
});

/** Markdown outside fenced code blocks and inline code spans, where links and headings live. */
function prose(markdown: string): string[] {
  let fenced = false;
  const lines: string[] = [];
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    else if (!fenced) lines.push(line.replace(/`[^`]*`/g, ''));
  }
  return lines;
}

test('every relative link in README.md and docs/*.md points to an existing file and heading', () => {
  const docs = [
    join(root, 'README.md'),
    ...readdirSync(join(root, 'docs'))
      .filter((name) => name.endsWith('.md'))
      .map((name) => join(root, 'docs', name)),
  ];
  const broken: string[] = [];
  for (const file of docs) {
    const lines = prose(readFileSync(file, 'utf8'));
    for (const line of lines) {
      for (const match of line.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
        const target = match[1] ?? '';
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // http:, https:, mailto:
        const [path = '', anchor] = target.split('#');
        const linked = path === '' ? file : resolve(dirname(file), decodeURIComponent(path));
        const where = `${relative(root, file)}: ${target}`;
        if (!existsSync(linked)) {
          broken.push(`${where} (no such file)`);
          continue;
        }
        if (anchor && linked.endsWith('.md') && !anchorsOf(readFileSync(linked, 'utf8')).has(anchor))
          broken.push(`${where} (no such heading)`);
      }
    }
  }
  assert.deepEqual(broken, []);
});
