// Renders docs/configuration.md from the settings schema (src/config/settings.ts): every key, its
// default, what it accepts, the environment variables that set it and its doc comment. Run it
// after changing a setting; test/unit/config-reference.test.ts fails while the page differs.
//   node --import tsx scripts/config-reference.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { z } from 'zod';
import { envNameOf, settingAliases, settings } from '../src/config/settings.ts';

const SETTINGS_SOURCE = new URL('../src/config/settings.ts', import.meta.url);
export const CONFIG_REFERENCE = new URL('../docs/configuration.md', import.meta.url);

interface Setting {
  readonly key: string;
  readonly doc: string | undefined;
  readonly schema: z.ZodType;
  readonly default: string | number | boolean | undefined;
  readonly env: readonly string[];
}

/** The doc comment (`/** … *\/`) written above each key of the `settings` object, by key. */
export function settingDocs(source = readFileSync(SETTINGS_SOURCE, 'utf8')): Map<string, string> {
  const file = ts.createSourceFile('settings.ts', source, ts.ScriptTarget.Latest, true);
  const docs = new Map<string, string>();
  const visit = (node: ts.Node): void => {
    if (ts.isPropertyAssignment(node) && ts.isStringLiteral(node.name)) {
      const comment = ts
        .getLeadingCommentRanges(source, node.getFullStart())
        ?.map((range) => source.slice(range.pos, range.end))
        .filter((text) => text.startsWith('/**'))
        .at(-1);
      if (comment) docs.set(node.name.text, cleanDocComment(comment));
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return docs;
}

function cleanDocComment(comment: string): string {
  return comment
    .replace(/^\/\*\*|\*\/$/g, '')
    .split('\n')
    .map((line) => line.replace(/^\s*\* ?/, '').trim())
    .filter(Boolean)
    .join(' ');
}

/** Keys without a doc comment: the page would leave an operator guessing, so the test refuses them. */
export function undocumentedSettings(docs = settingDocs()): string[] {
  return Object.keys(settings).filter((key) => !docs.get(key));
}

export function renderConfigReference(docs = settingDocs()): string {
  const all: Setting[] = Object.entries(settings).map(([key, s]) => ({
    key,
    doc: docs.get(key),
    schema: s.schema,
    default: s.default,
    env: s.env,
  }));
  const groups = new Map<string, Setting[]>();
  for (const setting of all) {
    const group = groupOf(setting.key);
    groups.set(group, [...(groups.get(group) ?? []), setting]);
  }
  const aliases = Object.entries(settingAliases).map(([alias, key]) => `- \`${alias}\` → \`${key}\``);
  return [
    '# Configuration reference',
    '',
    '<!-- Generated from src/config/settings.ts by `node --import tsx scripts/config-reference.ts`; a test fails when they differ. -->',
    '',
    'Every setting a coordinator (`capstan serve`) or a worker (`capstan worker`) reads, in the order',
    'they are applied: the default, then a config file (`--config file.yaml|file.properties`, or',
    '`CAPSTAN_CONFIG`), then the environment, then flags (`--port`, `--data-dir`, `--set key=value`…).',
    "Keys follow TPF's names, so a TPF configuration works verbatim; keys Capstan does not use are",
    'warnings (refusals with `pipeline.orchestrator.strict-startup`). Every key can be set from the',
    'environment by upper-casing it and turning `.` and `-` into `_`; some also answer to a common',
    'name (`PORT`, `AWS_REGION`…). A `…-ref` setting takes a secret reference, `env:NAME` or',
    '`file:/path`, never the secret itself. `capstan config print` shows the values a node would',
    'run with, secrets redacted.',
    '',
    ...[...groups].flatMap(([group, members]) => [
      `## \`${group}.*\``,
      '',
      ...members.flatMap((s) => [
        `- **\`${s.key}\`** · default ${defaultOf(s.default)} · ${acceptsOf(s.schema)} · env ${[...new Set([envNameOf(s.key), ...s.env])].map((e) => `\`${e}\``).join(', ')}`,
        '',
        `  ${s.doc ?? '(undocumented)'}`,
        '',
      ]),
    ]),
    '## Other spellings',
    '',
    "TPF's longer names of some keys, accepted in a config file:",
    '',
    ...aliases,
    '',
  ].join('\n');
}

/** `capstan.http.max-json-depth` → `capstan.http`; the top-level `pipeline.orchestrator.*` keys stay together. */
function groupOf(key: string): string {
  return key.split('.').slice(0, -1).join('.');
}

function defaultOf(value: string | number | boolean | undefined): string {
  if (value === undefined) return 'unset';
  if (value === '') return 'empty';
  return `\`${value}\``;
}

/** What a value must look like: an enum's values, a number's range, or a string rule's own message. */
function acceptsOf(schema: z.ZodType): string {
  const inner = unwrapOptional(schema);
  const json = z.toJSONSchema(inner, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  if (json.anyOf?.some((branch) => branch.type === 'boolean')) return '`true` or `false`';
  if (json.enum) return json.enum.map((v) => `\`${String(v)}\``).join(' or ');
  if (json.type === 'integer' || json.type === 'number') return rangeOf(json);
  return ruleMessage(inner) ?? 'text';
}

interface JsonSchema {
  type?: string;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
}

function rangeOf(json: JsonSchema): string {
  const noun = json.type === 'integer' ? 'an integer' : 'a number';
  const max = json.maximum !== undefined && json.maximum < Number.MAX_SAFE_INTEGER ? json.maximum : undefined;
  if (json.minimum !== undefined && max !== undefined) return `${noun} from ${json.minimum} to ${max}`;
  if (json.minimum !== undefined) return `${noun} ≥ ${json.minimum}`;
  return noun;
}

type Internals = {
  _zod: {
    def: { type: string; innerType?: z.ZodType; checks?: Internals[]; error?: (issue: object) => unknown };
  };
};

function unwrapOptional(schema: z.ZodType): z.ZodType {
  const def = (schema as unknown as Internals)._zod.def;
  return def.type === 'optional' && def.innerType ? unwrapOptional(def.innerType) : schema;
}

/** The message a string rule (`.regex(…, message)`, `.refine(…, message)`) reports: the best description of it. */
function ruleMessage(schema: z.ZodType): string | undefined {
  for (const check of (schema as unknown as Internals)._zod.def.checks ?? []) {
    const message = check._zod.def.error?.({});
    if (typeof message === 'string') return message;
  }
  const def = (schema as unknown as Internals)._zod.def;
  // `duration.refine(…)` wraps the duration rule: its message is on the inner schema.
  return def.innerType ? ruleMessage(def.innerType) : undefined;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const missing = undocumentedSettings();
  if (missing.length > 0) {
    console.error(`settings without a doc comment: ${missing.join(', ')}`);
    process.exit(1);
  }
  writeFileSync(CONFIG_REFERENCE, renderConfigReference());
  console.log('docs/configuration.md written');
}
