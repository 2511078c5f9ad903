import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Document,
  type YAMLMap,
} from 'yaml';
import { ConfigError } from '../errors/config-error.ts';
import { settingAliases, settings } from './settings.ts';

export type FileValue = string | number | boolean;

export interface ConfigFile {
  /** The file's Capstan settings as parsed (text, numbers, booleans); the schemas validate them. */
  readonly values: Readonly<Record<string, FileValue>>;
  /** The line each value was set on, so a bad value can be pointed at. */
  readonly lines: Readonly<Record<string, number>>;
  /** Keys that belong to TPF or Quarkus but not to Capstan: ignored, so a TPF file loads verbatim. */
  readonly warnings: readonly string[];
  /** Keys in Capstan's own namespaces that no setting has: most likely typos. */
  readonly problems: readonly string[];
}

interface Entry {
  readonly key: string;
  readonly value: FileValue | null;
  readonly line: number;
}
interface Parsed {
  readonly entries: Entry[];
  readonly errors: { line: number; message: string }[];
}

/**
 * Reads a configuration file: `.yaml`/`.yml` (nested maps flatten to dotted keys) or Java
 * `.properties`. An unreadable, malformed or unsupported file throws a ConfigError naming the file
 * and line; unknown keys come back as `problems` so they are listed with every other problem.
 */
export function readConfigFile(path: string): ConfigFile {
  const extension = extname(path).toLowerCase();
  const parse =
    extension === '.yaml' || extension === '.yml'
      ? parseYaml
      : extension === '.properties'
        ? parseProperties
        : undefined;
  if (!parse) throw new ConfigError([`config file ${path}: expected a .yaml, .yml or .properties file`]);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError([`config file ${path}: ${error instanceof Error ? error.message : String(error)}`]);
  }
  const { entries, errors } = parse(text.replace(/^\uFEFF/, ''));
  if (errors.length > 0)
    throw new ConfigError(
      errors.map((e) => `config file ${path}${e.line ? `:${e.line}` : ''}: ${e.message}`),
    );
  return classify(path, entries);
}

// TPF's coordinator keys that Capstan does not implement, after
// `pipeline.orchestrator.`. They are ignored with a warning; any other unknown key there is an error.
const tpfKeys = new Set([
  'pipeline-id',
  'release-version',
  'max-circuit-deferral',
  'queue-url',
  'dlq-url',
  'resume-token-secret',
  'await-aggregate-max-input-items',
  'await-aggregate-max-output-items',
  'tenancy.require-explicit-tenant',
  'quotas.max-in-flight-transitions-per-tenant',
  'control-plane.admin-token',
  'admin.admin-token',
]);
// Whole TPF subtrees Capstan has no counterpart for (`bundles.` is the pre-release name of
// `releases.`); of TPF's `worker.` tree Capstan reads max-in-flight, lifecycle and `rest.`.
const tpfPrefixes = ['dynamo.', 'sqs.', 'releases.', 'bundles.', 'worker.'];
const orchestrator = 'pipeline.orchestrator.';
// TPF keys outside `pipeline.orchestrator.` Capstan does not implement: the admission budget's
// DynamoDB table (Capstan keeps the budget in its own store, docs/await-admission.md).
const tpfOtherKeys = new Set(['pipeline.await-admission.store']);

function classify(path: string, entries: readonly Entry[]): ConfigFile {
  const values: Record<string, FileValue> = {};
  const lines: Record<string, number> = {};
  const warnings: string[] = [];
  const problems: string[] = [];
  const spellings: Record<string, { written: string; line: number }> = {};
  for (const { key: written, value, line } of entries) {
    const where = `from file ${path}:${line}`;
    // TPF's spelling of a key sets Capstan's; both in one file would leave one of them unseen.
    const key = settingAliases[written] ?? written;
    const earlier = spellings[key];
    if (earlier && earlier.written !== written) {
      problems.push(
        `'${written}' (${where}) and '${earlier.written}' (line ${earlier.line}) set the same setting`,
      );
      continue;
    }
    spellings[key] = { written, line };
    if (Object.hasOwn(settings, key)) {
      // An empty value means "not set", as in the environment and in Quarkus.
      if (value === null || value === '') {
        delete values[key];
        delete lines[key];
      } else {
        values[key] = value;
        lines[key] = line;
      }
      continue;
    }
    const rest = key.startsWith(orchestrator) ? key.slice(orchestrator.length) : undefined;
    const tpf =
      tpfOtherKeys.has(key) ||
      (rest !== undefined && (tpfKeys.has(rest) || tpfPrefixes.some((p) => rest.startsWith(p))));
    if (key.startsWith('capstan.') || (rest !== undefined && !tpf)) {
      problems.push(`unknown setting '${key}' (${where})`);
    } else if (rest?.endsWith('admin-token') || rest?.endsWith('shared-secret')) {
      // Never echo the value: it is a secret written inline.
      warnings.push(
        `ignored setting '${key}' (${where}): Capstan takes tokens and secrets by reference only; set ${key}-ref to env:NAME or file:/path`,
      );
    } else {
      const why = tpf ? 'a TPF setting Capstan does not implement' : 'not a Capstan setting';
      warnings.push(`ignored setting '${key}' (${where}): ${why}`);
    }
  }
  return { values, lines, warnings, problems };
}

/** YAML: nested maps and dotted keys both name settings; a list of plain values becomes `a,b`. */
function parseYaml(text: string): Parsed {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const lineOf = (offset: number | undefined): number =>
    offset === undefined ? 0 : lineCounter.linePos(offset).line;
  const errors = doc.errors.map((e) => ({ line: lineOf(e.pos[0]), message: e.message }));
  const entries: Entry[] = [];
  if (errors.length > 0 || doc.contents === null) return { entries, errors };
  if (!isMap(doc.contents)) {
    errors.push({ line: lineOf(doc.contents.range?.[0]), message: 'expected a map of settings' });
    return { entries, errors };
  }
  const seen = new Map<string, number>();
  const walk = (map: YAMLMap, prefix: string): void => {
    for (const pair of map.items) {
      const keyName = isScalar(pair.key) ? scalarOf(pair.key.value) : undefined;
      const line = lineOf((isScalar(pair.key) ? pair.key : map).range?.[0]);
      if (keyName === undefined) {
        errors.push({ line, message: 'keys must be plain names' });
        continue;
      }
      // Quarkus' YAML writes a prefix's own value under the key `~` (null).
      const name = keyName === null ? '' : String(keyName);
      const key = prefix && name ? `${prefix}.${name}` : prefix || name;
      const node: unknown = isAlias(pair.value) ? pair.value.resolve(doc) : pair.value;
      if (isMap(node)) {
        walk(node, key);
        continue;
      }
      const value =
        node === null || node === undefined
          ? null
          : isScalar(node)
            ? scalarOf(node.value)
            : isSeq(node)
              ? listOf(node.items, doc)
              : undefined;
      if (value === undefined) {
        errors.push({ line, message: `'${key}' must be a plain value or a list of plain values` });
        continue;
      }
      if (!key) {
        errors.push({ line, message: 'a value without a key' });
        continue;
      }
      const earlier = seen.get(key);
      if (earlier !== undefined) {
        errors.push({ line, message: `'${key}' is already set on line ${earlier}` });
        continue;
      }
      seen.set(key, line);
      entries.push({ key, value, line });
    }
  };
  walk(doc.contents, '');
  return { entries, errors };
}

/** A scalar as parsed, null for an empty value, undefined for anything that is not a plain value. */
function scalarOf(value: unknown): FileValue | null | undefined {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
    ? value
    : undefined;
}

/** A list of plain values, joined as Quarkus joins list settings (`acme,globex`). */
function listOf(items: readonly unknown[], doc: Document): string | undefined {
  const parts: string[] = [];
  for (const item of items) {
    const node = isAlias(item) ? item.resolve(doc) : item;
    const value = isScalar(node) ? scalarOf(node.value) : undefined;
    if (value === undefined || value === null) return undefined;
    parts.push(String(value));
  }
  return parts.join(',');
}

const blank = /^[ \t\f]+/;
const trailing = /[ \t\f]+$/;

/**
 * Java properties: `key=value`, `key: value` or `key value`; `#`/`!` comment lines; a line ending
 * in an odd number of backslashes continues on the next (whose indentation is dropped); escapes
 * `\t \n \r \f \uXXXX` and `\x` for any other x. Unlike Java, trailing whitespace is trimmed, also
 * before a continuation backslash, where it is a classic invisible mistake.
 */
function parseProperties(text: string): Parsed {
  const lines = text.split(/\r\n|\r|\n/);
  const entries: Entry[] = [];
  const errors: { line: number; message: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    let logical = (lines[i] ?? '').replace(blank, '').replace(trailing, '');
    if (logical === '' || logical.startsWith('#') || logical.startsWith('!')) continue;
    while (continues(logical)) {
      logical = logical.slice(0, -1);
      if (++i >= lines.length) break;
      logical += (lines[i] ?? '').replace(blank, '').replace(trailing, '');
    }
    let end = 0;
    while (end < logical.length && !'=: \t\f'.includes(logical.charAt(end)))
      end += logical[end] === '\\' ? 2 : 1;
    const rawValue = logical.slice(end).replace(blank, '').replace(/^[=:]/, '').replace(blank, '');
    const key = unescape(logical.slice(0, end));
    const value = unescape(rawValue);
    if (key === undefined || value === undefined) errors.push({ line, message: 'malformed \\uXXXX escape' });
    else entries.push({ key, value, line });
  }
  return { entries, errors };
}

function continues(line: string): boolean {
  const backslashes = /\\*$/.exec(line)?.[0].length ?? 0;
  return backslashes % 2 === 1;
}

const escapes: Readonly<Record<string, string>> = { t: '\t', n: '\n', r: '\r', f: '\f' };

/** Undoes properties escapes; undefined when a `\u` is not followed by four hex digits. */
function unescape(raw: string): string | undefined {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charAt(i);
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = raw.charAt(++i);
    if (next === 'u') {
      const hex = raw.slice(i + 1, i + 5);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) return undefined;
      out += String.fromCharCode(parseInt(hex, 16));
      i += 4;
    } else {
      out += escapes[next] ?? next;
    }
  }
  return out;
}
