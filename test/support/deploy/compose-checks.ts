/**
 * The Compose files' checks: the Compose Specification's JSON schema (as dclint ships it), dclint's
 * best-practice rules, then what each shape promises: a coordinator reachable and ready-checked,
 * its state on a named volume; for the cluster, one migration run before two or three nodes
 * configured alike, a load balancer routing on /api/ready, and a worker pulling through it.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { DCLinter } from 'dclint';
import { z } from 'zod';
import type { Settings } from '../../../src/config/settings.ts';
import { clusterSettingProblems } from './cluster-settings.ts';
import { interpolate, variablesIn } from './files.ts';
import { configOf, envProblems, refProblems } from './setting-env.ts';
import type { ImageFacts } from './dockerfile-checks.ts';

const require = createRequire(import.meta.url);
/**
 * The Compose Specification's JSON schema (github.com/compose-spec/compose-spec,
 * schema/compose-spec.json, Apache-2.0), as the dclint package ships it and validates with: an
 * npm install keeps it current with the linter, so no copy is kept here.
 */
export const COMPOSE_SCHEMA_FILE = join(
  dirname(require.resolve('dclint/package.json')),
  'schemas/compose.schema.json',
);

let validateCompose: ValidateFunction | undefined;

/** Where the file breaks the Compose Specification's schema. */
export function composeSchemaProblems(document: unknown, where: string): string[] {
  if (!validateCompose) {
    const schema = JSON.parse(readFileSync(COMPOSE_SCHEMA_FILE, 'utf8')) as Record<string, unknown>;
    // Its `$schema` names draft-07 by an https URL Ajv does not know; draft-07 is Ajv's own.
    delete schema.$schema;
    validateCompose = new Ajv({ allErrors: true, strict: false }).compile(schema);
  }
  if (validateCompose(document)) return [];
  return (validateCompose.errors ?? []).map(
    (e) => `${where}${e.instancePath || '/'}: ${e.message ?? e.keyword}`,
  );
}

interface LintResult {
  readonly filePath: string;
  readonly messages: readonly { readonly line: number; readonly message: string; readonly rule: string }[];
}

/**
 * dclint's rules, all of them errors, but for those about key and service order (the files
 * are ordered by start order, not alphabetically) and `no-build-and-image` (the Capstan
 * services name the image they build, so the others run the same one).
 */
export function composeLintProblems(paths: readonly string[]): string[] {
  const linter = new DCLinter({
    rules: {
      'services-alphabetical-order': 0,
      'service-keys-order': 0,
      'top-level-properties-order': 0,
      'service-dependencies-alphabetical-order': 0,
      'service-ports-alphabetical-order': 0,
      'no-build-and-image': 0,
    },
    quiet: false,
    debug: false,
    exclude: [],
  });
  // dclint's declarations import their own modules without extensions, which NodeNext cannot
  // follow: its results are typed here.
  const results = linter.lintFiles([...paths], false) as LintResult[];
  return results.flatMap((r) => r.messages.map((m) => `${r.filePath}:${m.line}: ${m.message} (${m.rule})`));
}

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const Service = z.looseObject({
  image: z.string().optional(),
  command: z.union([z.string(), z.array(z.string())]).optional(),
  environment: z.union([z.record(z.string(), scalar), z.array(z.string())]).optional(),
  volumes: z
    .array(z.union([z.string(), z.looseObject({ source: z.string().optional(), target: z.string() })]))
    .optional(),
  ports: z.array(z.union([z.string(), z.number(), z.looseObject({})])).optional(),
  healthcheck: z
    .looseObject({
      test: z.union([z.string(), z.array(z.string())]).optional(),
      disable: z.boolean().optional(),
    })
    .optional(),
  depends_on: z
    .union([z.array(z.string()), z.record(z.string(), z.looseObject({ condition: z.string() }))])
    .optional(),
  restart: z.string().optional(),
});
const ComposeFile = z.looseObject({
  services: z.record(z.string(), Service),
  volumes: z.record(z.string(), z.unknown()).optional(),
});
export type ComposeService = z.infer<typeof Service>;
export type Compose = z.infer<typeof ComposeFile>;

export function parseCompose(document: unknown): Compose {
  return ComposeFile.parse(document);
}

/** A service's environment as a map of strings, `${…}` interpolated from `vars`. */
export function serviceEnv(
  service: ComposeService,
  vars: Readonly<Record<string, string>>,
): Record<string, string> {
  const raw = service.environment ?? {};
  const entries = Array.isArray(raw)
    ? raw.map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as const)
    : Object.entries(raw).map(([k, v]) => [k, v === null ? '' : String(v)] as const);
  return Object.fromEntries(entries.map(([k, v]) => [k, interpolate(v, vars)]));
}

const commandOf = (service: ComposeService): string[] =>
  typeof service.command === 'string' ? service.command.split(/\s+/) : (service.command ?? []);
const usesImage = (service: ComposeService, image: string) => service.image?.split(':')[0] === image;

/** The Capstan services by role: the first word of their command (`serve`, `worker`, `migrate`). */
export function capstanServices(compose: Compose, role: string): [string, ComposeService][] {
  return Object.entries(compose.services).filter(
    ([, s]) => usesImage(s, 'capstan') && (commandOf(s)[0] ?? 'serve') === role,
  );
}

const dependsOn = (service: ComposeService): Record<string, string> =>
  Array.isArray(service.depends_on)
    ? Object.fromEntries(service.depends_on.map((name) => [name, 'service_started']))
    : Object.fromEntries(Object.entries(service.depends_on ?? {}).map(([n, d]) => [n, d.condition]));

const healthPath = (service: ComposeService) => {
  const test = service.healthcheck?.test;
  return (Array.isArray(test) ? test.join(' ') : (test ?? '')).match(/\/api\/[a-z]+/)?.[0];
};

/** `host:container` mounts: the named volume (or host path) mounted at `target`. */
const mountAt = (service: ComposeService, target: string) =>
  (service.volumes ?? [])
    .map((v) => (typeof v === 'string' ? { source: v.split(':')[0], target: v.split(':')[1] } : v))
    .find((v) => v.target === target)?.source;

/** What every Compose file must hold together: references resolve, Capstan services are sound. */
function commonProblems(compose: Compose, image: ImageFacts, vars: Record<string, string>): string[] {
  const problems: string[] = [];
  const volumes = new Set(Object.keys(compose.volumes ?? {}));
  for (const [name, service] of Object.entries(compose.services)) {
    for (const target of Object.keys(dependsOn(service)))
      if (!compose.services[target]) problems.push(`${name}: depends on ${target}, which is no service`);
    for (const mount of service.volumes ?? []) {
      const source = typeof mount === 'string' ? mount.split(':')[0] : mount.source;
      if (source && !/^[./~]/.test(source) && !volumes.has(source))
        problems.push(`${name}: volume ${source} is not declared`);
    }
    for (const port of service.ports ?? [])
      if (typeof port !== 'object' && !String(port).startsWith('127.0.0.1:'))
        problems.push(
          `${name}: port ${port} is published on every host interface; bind 127.0.0.1 and widen on purpose`,
        );
    if (!usesImage(service, 'capstan')) continue;
    const env = { ...image.env, ...serviceEnv(service, vars) };
    problems.push(...envProblems(env, name), ...refProblems(env, name));
    const role = commandOf(service)[0] ?? 'serve';
    if (role === 'serve' && healthPath(service) !== '/api/ready')
      problems.push(`${name}: its healthcheck probes ${healthPath(service)}, not /api/ready`);
    if (role !== 'serve' && service.healthcheck?.disable !== true)
      problems.push(`${name}: a ${role} serves no /api/health; disable the image's healthcheck`);
  }
  return problems;
}

const settingsOf = (env: Record<string, string>, where: string): Settings | string => {
  const values = configOf(env);
  return values instanceof Error ? `${where}: ${values.message}` : values;
};

/** deploy/compose.yaml: one coordinator on SQLite, its state on a named volume. */
export function singleNodeProblems(compose: Compose, image: ImageFacts): string[] {
  const problems = commonProblems(compose, image, {});
  const coordinators = capstanServices(compose, 'serve');
  if (coordinators.length !== 1) return [...problems, `${coordinators.length} coordinators, expected 1`];
  const [[name, service]] = coordinators as [[string, ComposeService]];
  const values = settingsOf({ ...image.env, ...serviceEnv(service, {}) }, name);
  if (typeof values === 'string') return [...problems, values];
  if (values['pipeline.orchestrator.state-provider'] !== 'sqlite') problems.push(`${name}: not on SQLite`);
  const dataVolume = mountAt(service, values['capstan.data-dir']);
  if (!dataVolume || !Object.hasOwn(compose.volumes ?? {}, dataVolume))
    problems.push(`${name}: its data directory ${values['capstan.data-dir']} is not on a named volume`);
  const published = (service.ports ?? []).filter((p) => typeof p !== 'object').map(String);
  if (!published.some((p) => p.endsWith(`:${values['capstan.port']}`)))
    problems.push(`${name}: no port published to ${values['capstan.port']}`);
  return problems;
}

/** The coordinator environment a cluster node gets from compose.cluster.yaml, image included. */
export function clusterNodeEnv(
  compose: Compose,
  name: string,
  image: ImageFacts,
  vars: Record<string, string>,
) {
  const service = compose.services[name];
  if (!service) throw new Error(`no service ${name}`);
  return { ...image.env, ...serviceEnv(service, vars) };
}

/**
 * deploy/compose.cluster.yaml: PostgreSQL and a migration run first, then two or three nodes
 * configured alike but for their node ids, a load balancer on their readiness, a pull worker.
 * `vars` stands for deploy/.env (every variable the file interpolates must be listed in
 * `envExample`); `haproxy` is the load balancer's configuration.
 */
export function clusterProblems(
  compose: Compose,
  image: ImageFacts,
  files: { vars: Record<string, string>; envExample: string; haproxy: string },
): string[] {
  const listed = new Set([...files.envExample.matchAll(/^([A-Z_][A-Z0-9_]*)=/gm)].map((m) => m[1]));
  const unlisted = [...new Set(variablesIn(JSON.stringify(compose)))].filter((name) => !listed.has(name));
  // An operator following deploy/.env.example would not set them: nothing further can be judged.
  if (unlisted.length > 0) return unlisted.map((name) => `\${${name}} is not listed in deploy/.env.example`);
  const problems = commonProblems(compose, image, files.vars);

  const postgres = Object.entries(compose.services).find(([, s]) => usesImage(s, 'postgres'));
  if (!postgres?.[1].healthcheck?.test) problems.push('no PostgreSQL service with a healthcheck');
  const migrations = capstanServices(compose, 'migrate');
  const coordinators = capstanServices(compose, 'serve');
  const workers = capstanServices(compose, 'worker');
  if (migrations.length !== 1) problems.push(`${migrations.length} migration services, expected 1`);
  if (coordinators.length < 2 || coordinators.length > 3)
    problems.push(`${coordinators.length} coordinators, expected 2 or 3`);
  if (workers.length < 1) problems.push('no worker');

  const shared = (env: Record<string, string>) =>
    JSON.stringify(
      Object.entries(env)
        .filter(([k]) => k !== 'CAPSTAN_NODE_ID')
        .sort(),
    );
  const nodeIds = new Set<string>();
  const envs = new Set<string>();
  for (const [name] of [...coordinators, ...migrations]) {
    const env = clusterNodeEnv(compose, name, image, files.vars);
    envs.add(shared(env));
    const values = settingsOf(env, name);
    if (typeof values === 'string') {
      problems.push(values);
      continue;
    }
    problems.push(...clusterSettingProblems(values, name));
    if (commandOf(compose.services[name] as ComposeService)[0] === 'serve') {
      const id = values['capstan.node-id'];
      if (!id || nodeIds.has(id)) problems.push(`${name}: node id ${id} is missing or not distinct`);
      nodeIds.add(id ?? '');
    }
  }
  if (envs.size > 1) problems.push('the coordinators and the migration run are not configured alike');

  for (const [name, service] of migrations) {
    if (commandOf(service).join(' ') !== 'migrate')
      problems.push(`${name}: runs ${commandOf(service).join(' ')}`);
    if (service.restart !== 'no') problems.push(`${name}: a one-shot must not restart (restart: "no")`);
    if (postgres && dependsOn(service)[postgres[0]] !== 'service_healthy')
      problems.push(`${name}: does not wait for PostgreSQL to be healthy`);
  }
  for (const [name, service] of coordinators) {
    const deps = dependsOn(service);
    for (const [migration] of migrations)
      if (deps[migration] !== 'service_completed_successfully')
        problems.push(`${name}: does not wait for ${migration} to complete successfully`);
    if (postgres && deps[postgres[0]] !== 'service_healthy')
      problems.push(`${name}: does not wait for PostgreSQL to be healthy`);
  }

  const balancer = Object.entries(compose.services).find(([, s]) => usesImage(s, 'haproxy'));
  if (!balancer) return [...problems, 'no load balancer (haproxy)'];
  const [lbName, lb] = balancer;
  for (const [name] of coordinators)
    if (dependsOn(lb)[name] !== 'service_healthy')
      problems.push(`${lbName}: does not wait for ${name} to be ready`);
  const servers = [...files.haproxy.matchAll(/^\s*server\s+\S+\s+([^:\s]+):(\d+)/gm)].map((m) => m[1]);
  if (JSON.stringify(servers.sort()) !== JSON.stringify(coordinators.map(([n]) => n).sort()))
    problems.push(`haproxy.cfg balances ${servers.join(', ')}, not the coordinators`);
  if (!/^\s*option httpchk GET \/api\/ready\s*$/m.test(files.haproxy))
    problems.push('haproxy.cfg does not check GET /api/ready');
  const bind = /^\s*bind\s+\S*:(\d+)/m.exec(files.haproxy)?.[1];
  for (const [name, service] of workers) {
    const values = settingsOf({ ...image.env, ...serviceEnv(service, files.vars) }, name);
    if (typeof values === 'string') {
      problems.push(values);
      continue;
    }
    const pull = values['capstan.worker.pull-url'];
    if (pull !== `http://${lbName}:${bind}`)
      problems.push(`${name}: pulls from ${pull}, not the load balancer`);
  }
  return problems;
}
