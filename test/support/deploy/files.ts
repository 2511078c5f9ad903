/**
 * The deployment files under deploy/ as the checks and the loopback topology read them: YAML
 * with Compose's merge keys (`<<: *anchor`), Kubernetes' multi-document files, and Compose's
 * `${NAME}` interpolation.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments, parseDocument } from 'yaml';

export const ROOT = resolve(import.meta.dirname, '../../..');
export const DEPLOY = join(ROOT, 'deploy');
export const KUBERNETES = join(DEPLOY, 'kubernetes');

/** One YAML document, merge keys applied (Compose honours them); a syntax error throws. */
export function parseYaml(text: string, source: string): unknown {
  const document = parseDocument(text, { merge: true });
  if (document.errors.length > 0)
    throw new Error(`${source}: ${document.errors.map((e) => e.message).join('; ')}`);
  return document.toJS({ maxAliasCount: 1000 }) as unknown;
}

export function readYaml(path: string): unknown {
  return parseYaml(readFileSync(path, 'utf8'), path);
}

/** Every document of a multi-document YAML file (`---` separated), empty ones left out. */
export function parseYamlDocuments(text: string, source: string): unknown[] {
  return parseAllDocuments(text).flatMap((document, index) => {
    if (!('errors' in document)) return [];
    if (document.errors.length > 0)
      throw new Error(`${source} document ${index + 1}: ${document.errors.map((e) => e.message).join('; ')}`);
    const value = document.toJS() as unknown;
    return value === null || value === undefined ? [] : [value];
  });
}

/** The Kubernetes manifests: every .yaml under deploy/kubernetes but the kustomization. */
export function kubernetesFiles(): string[] {
  return readdirSync(KUBERNETES)
    .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
    .sort();
}

const VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g;

/** The variables a Compose value interpolates (`${NAME}`, `${NAME:?message}`, `${NAME:-default}`). */
export function variablesIn(value: string): string[] {
  return [...value.matchAll(VARIABLE)].map((m) => m[1] ?? '');
}

/**
 * Compose's interpolation of one value: `${NAME}` from `vars`; `${NAME:?message}` and
 * `${NAME?message}` throw when it is missing (empty too, with the colon); `${NAME:-default}` and
 * `${NAME-default}` fall back.
 */
export function interpolate(value: string, vars: Readonly<Record<string, string>>): string {
  return value.replace(VARIABLE, (_match, name: string, operator?: string, operand?: string) => {
    const given = vars[name];
    const missing = given === undefined || (operator?.startsWith(':') === true && given === '');
    if (!missing) return given;
    if (operator?.endsWith('?')) throw new Error(`\${${name}} is not set: ${operand ?? ''}`);
    if (operator?.endsWith('-')) return operand ?? '';
    return '';
  });
}
