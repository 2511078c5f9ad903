/**
 * The image definition's checks: dockerfile-utils' linter (the Docker builder's own errors,
 * found without a builder), then what Capstan's image promises: built in stages, a slim
 * runtime with production dependencies only, a non-root numeric user, the bind host widened
 * explicitly, the data directory a volume, a health check on /api/health, `capstan` as the
 * entrypoint and `serve` as the default command.
 */
import { DockerfileParser, Env, ModifiableInstruction } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { envProblems } from './setting-env.ts';

export interface DockerStep {
  readonly keyword: string;
  /** The arguments, continuation lines joined. */
  readonly args: string;
  /** 1-based. */
  readonly line: number;
  readonly flags: ReadonlyMap<string, string>;
  /** ENV's assignments. */
  readonly env: readonly (readonly [string, string])[];
}

export interface DockerStage {
  readonly name: string | undefined;
  readonly image: string;
  readonly steps: readonly DockerStep[];
}

/** The Dockerfile's stages, each with its instructions in order. */
export function dockerStages(text: string): DockerStage[] {
  const stages: { name: string | undefined; image: string; steps: DockerStep[] }[] = [];
  for (const instruction of DockerfileParser.parse(text).getInstructions()) {
    const keyword = instruction.getKeyword();
    const args = instruction.getArgumentsContent() ?? '';
    if (keyword === 'FROM') {
      const [image = '', as, name] = args.split(/\s+/);
      stages.push({ name: as?.toUpperCase() === 'AS' ? name : undefined, image, steps: [] });
      continue;
    }
    const flags = new Map(
      instruction instanceof ModifiableInstruction
        ? instruction.getFlags().map((f) => [f.getName(), f.getValue() ?? ''] as const)
        : [],
    );
    const env =
      instruction instanceof Env
        ? instruction.getProperties().map((p) => [p.getName(), p.getValue() ?? ''] as const)
        : [];
    stages.at(-1)?.steps.push({ keyword, args, line: instruction.getRange().start.line + 1, flags, env });
  }
  return stages;
}

/** What the runtime image carries: its environment, user, volumes, port and health check. */
export interface ImageFacts {
  readonly env: Readonly<Record<string, string>>;
  /** The numeric uid of the last USER, or undefined when there is none or it is a name. */
  readonly uid: number | undefined;
  readonly volumes: readonly string[];
  readonly exposed: readonly string[];
  readonly healthcheck: string | undefined;
  readonly entrypoint: unknown;
  readonly cmd: unknown;
}

export function imageFacts(text: string): ImageFacts {
  const runtime = dockerStages(text).at(-1);
  const steps = runtime?.steps ?? [];
  const all = (keyword: string) => steps.filter((s) => s.keyword === keyword);
  const user = all('USER').at(-1)?.args.split(':')[0];
  return {
    env: Object.fromEntries(all('ENV').flatMap((s) => s.env)),
    uid: user !== undefined && /^\d+$/.test(user) ? Number(user) : undefined,
    volumes: all('VOLUME').flatMap((s) => jsonOr(s.args, s.args.split(/\s+/)) as string[]),
    exposed: all('EXPOSE').flatMap((s) => s.args.split(/\s+/)),
    healthcheck: all('HEALTHCHECK').at(-1)?.args,
    entrypoint: jsonOr(all('ENTRYPOINT').at(-1)?.args, undefined),
    cmd: jsonOr(all('CMD').at(-1)?.args, undefined),
  };
}

function jsonOr(text: string | undefined, fallback: unknown): unknown {
  if (text === undefined || !text.trim().startsWith('[')) return fallback;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return fallback;
  }
}

/**
 * Everything wrong with the Dockerfile `text`: the linter's diagnostics and each broken promise.
 * `exists` tells whether a path of the build context exists; `dockerignore` is the context's
 * .dockerignore.
 */
export function dockerfileProblems(
  text: string,
  context: { exists: (path: string) => boolean; dockerignore: string },
): string[] {
  const problems = validate(text).map(
    (d) => `line ${d.range.start.line + 1}: ${typeof d.message === 'string' ? d.message : d.message.value}`,
  );
  const stages = dockerStages(text);
  const names = new Set(stages.flatMap((s) => (s.name ? [s.name] : [])));
  const runtime = stages.at(-1);
  if (!runtime) return [...problems, 'no FROM'];
  if (stages.length < 2) problems.push('not a multi-stage build: the runtime stage would carry the build');

  for (const stage of stages) {
    if (names.has(stage.image)) continue;
    const tag = /^[^@]+:([^:/@]+)$/.exec(stage.image)?.[1];
    if (!stage.image.includes('@sha256:') && (tag === undefined || tag === 'latest'))
      problems.push(`FROM ${stage.image}: pin a tag (or a digest), not latest`);
    for (const step of stage.steps) {
      if (step.keyword === 'ADD') problems.push(`line ${step.line}: ADD; COPY says what it does`);
      if (/\bapt-get install\b/.test(step.args) && !/--no-install-recommends/.test(step.args))
        problems.push(`line ${step.line}: apt-get install without --no-install-recommends`);
      if (step.keyword !== 'COPY' || step.flags.has('from')) continue;
      const sources = step.args
        .split(/\s+/)
        .filter((a) => !a.startsWith('--'))
        .slice(0, -1);
      for (const source of sources) {
        if (!context.exists(source))
          problems.push(`line ${step.line}: COPY ${source}: not in the build context`);
        if (ignoredBy(context.dockerignore, source))
          problems.push(`line ${step.line}: COPY ${source}: excluded by .dockerignore`);
      }
    }
  }

  const runsIn = (stage: DockerStage, pattern: RegExp) =>
    stage.steps.some((s) => s.keyword === 'RUN' && pattern.test(s.args));
  const copiedFrom = (target: RegExp) =>
    runtime.steps.find((s) => s.keyword === 'COPY' && s.flags.has('from') && target.test(s.args));
  const stageNamed = (name: string | undefined) => stages.find((s) => s.name === name);
  const built = stageNamed(copiedFrom(/\bdist\b/)?.flags.get('from'));
  if (!built || !runsIn(built, /\bnpm ci\b/) || !runsIn(built, /\bnpm run build\b/))
    problems.push('the runtime does not copy dist/ from a stage that runs `npm ci` and `npm run build`');
  const deps = stageNamed(copiedFrom(/\bnode_modules\b/)?.flags.get('from'));
  if (!deps || !runsIn(deps, /\bnpm ci\b[^&]*--omit=dev/))
    problems.push('the runtime does not copy node_modules from a stage that runs `npm ci --omit=dev`');
  if (runsIn(runtime, /\bnpm (ci|install|i)\b/))
    problems.push('the runtime stage installs packages itself: build them in a stage');
  if (!/-slim\b|alpine|distroless/.test(runtime.image))
    problems.push(`the runtime stage is FROM ${runtime.image}, not a slim image`);

  const facts = imageFacts(text);
  const users = runtime.steps.filter((s) => s.keyword === 'USER');
  const user = users.at(-1)?.args.split(':')[0];
  if (user === undefined) problems.push('no USER: the image would run as root');
  else if (facts.uid === undefined)
    problems.push(`USER ${user}: give a numeric uid (runAsNonRoot checks it)`);
  else if (facts.uid === 0) problems.push('USER 0: the image would run as root');
  if (facts.env.CAPSTAN_HOST === undefined)
    problems.push(
      'ENV CAPSTAN_HOST unset: the listener would bind loopback, unreachable from outside the container',
    );
  const dataDir = facts.env.CAPSTAN_DATA_DIR;
  if (dataDir === undefined) problems.push('ENV CAPSTAN_DATA_DIR unset');
  else if (!facts.volumes.includes(dataDir)) problems.push(`the data directory ${dataDir} is not a VOLUME`);
  const port = facts.env.CAPSTAN_PORT;
  if (port === undefined || !facts.exposed.includes(port))
    problems.push(`EXPOSE does not name the port the image sets (CAPSTAN_PORT=${port})`);
  const checks = runtime.steps.filter((s) => s.keyword === 'HEALTHCHECK');
  if (checks.length !== 1) problems.push(`${checks.length} HEALTHCHECK instructions, expected 1`);
  else if (!/^CMD\b.*\/api\/health\b/s.test(facts.healthcheck ?? ''))
    problems.push(`the HEALTHCHECK does not probe /api/health: ${facts.healthcheck}`);
  if (JSON.stringify(facts.entrypoint) !== '["capstan"]')
    problems.push('ENTRYPOINT is not ["capstan"] in exec form');
  if (JSON.stringify(facts.cmd) !== '["serve"]') problems.push('CMD is not ["serve"] in exec form');
  problems.push(...envProblems(facts.env, 'ENV'));
  for (const needed of ['.git', 'node_modules', '.capstan', 'deploy/.env'])
    if (!ignoredBy(context.dockerignore, needed))
      problems.push(`.dockerignore does not keep ${needed} out of the build context`);
  return problems;
}

/** Whether a .dockerignore (plain paths and `**\/name` patterns, no negation) excludes `path`. */
export function ignoredBy(dockerignore: string, path: string): boolean {
  const clean = path.replace(/^\.?\//, '').replace(/\/$/, '');
  return dockerignore
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .some((pattern) => {
      const p = pattern.replace(/^\//, '').replace(/\/$/, '');
      if (p.startsWith('**/')) return clean.split('/').includes(p.slice(3));
      return clean === p || clean.startsWith(`${p}/`);
    });
}
