/**
 * deploy/ checked without an engine: the Dockerfile by dockerfile-utils' linter, the Compose
 * files against the Compose Specification's schema and dclint's rules, the Kubernetes manifests
 * against the API schemas of their kinds (kubernetes-models); then, in each, what the deployment
 * promises (docs/deployment.md). The last test breaks each promise on purpose, in a copy, and
 * expects the checks to say so.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { agreementProblems } from '../support/deploy/agreement.ts';
import {
  clusterProblems,
  composeLintProblems,
  composeSchemaProblems,
  parseCompose,
  singleNodeProblems,
} from '../support/deploy/compose-checks.ts';
import { dockerfileProblems, imageFacts } from '../support/deploy/dockerfile-checks.ts';
import { DEPLOY, KUBERNETES, ROOT, parseYaml, parseYamlDocuments } from '../support/deploy/files.ts';
import {
  kubernetesProblems,
  kubernetesSchemaProblems,
  parseManifests,
} from '../support/deploy/kubernetes-checks.ts';

/** Every file the checks read, by path from the repository's root. */
type Files = ReadonlyMap<string, string>;

function deployFiles(): Files {
  const paths = [
    '.dockerignore',
    'deploy/Dockerfile',
    'deploy/compose.yaml',
    'deploy/compose.cluster.yaml',
    'deploy/.env.example',
    'deploy/haproxy/haproxy.cfg',
    ...readdirSync(KUBERNETES).map((f) => relative(ROOT, join(KUBERNETES, f))),
  ];
  return new Map(paths.map((p) => [p, readFileSync(join(ROOT, p), 'utf8')]));
}

const text = (files: Files, path: string) => {
  const found = files.get(path);
  if (found === undefined) throw new Error(`no ${path}`);
  return found;
};

function dockerProblems(files: Files): string[] {
  return dockerfileProblems(text(files, 'deploy/Dockerfile'), {
    exists: (path) => existsSync(join(ROOT, path)),
    dockerignore: text(files, '.dockerignore'),
  });
}

/**
 * The Compose files' schema and (with `lint`) dclint's problems. dclint reads files, so they are
 * written out; it takes about a second a run, so the breakages below ask for it only when they
 * are about it.
 */
function composeFileProblems(files: Files, lint = true): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-compose-'));
  try {
    const problems: string[] = [];
    const paths: string[] = [];
    for (const name of ['compose.yaml', 'compose.cluster.yaml']) {
      const content = text(files, `deploy/${name}`);
      problems.push(...composeSchemaProblems(parseYaml(content, name), name));
      writeFileSync(join(dir, name), content);
      paths.push(join(dir, name));
    }
    if (!lint) return problems;
    return [...problems, ...composeLintProblems(paths).map((p) => p.replace(`${dir}/`, ''))];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A stand-in for deploy/.env: every variable .env.example lists, set. */
function envVars(files: Files): Record<string, string> {
  const names = [...text(files, 'deploy/.env.example').matchAll(/^([A-Z_][A-Z0-9_]*)=/gm)].map(
    (m) => m[1] ?? '',
  );
  return Object.fromEntries(names.map((n) => [n, `value-of-${n}`]));
}

function manifestsOf(files: Files) {
  return [...files.keys()]
    .filter(
      (p) => p.startsWith('deploy/kubernetes/') && p.endsWith('.yaml') && !p.endsWith('kustomization.yaml'),
    )
    .map((p) => ({
      file: p.slice('deploy/kubernetes/'.length),
      documents: parseYamlDocuments(text(files, p), p),
    }));
}

function shapeProblems(files: Files): string[] {
  const image = imageFacts(text(files, 'deploy/Dockerfile'));
  const single = parseCompose(parseYaml(text(files, 'deploy/compose.yaml'), 'compose.yaml'));
  const cluster = parseCompose(parseYaml(text(files, 'deploy/compose.cluster.yaml'), 'compose.cluster.yaml'));
  const kubernetes = manifestsOf(files).map((f) => ({
    file: f.file,
    manifests: parseManifests(f.documents),
  }));
  return [
    ...singleNodeProblems(single, image).map((p) => `compose.yaml: ${p}`),
    ...clusterProblems(cluster, image, {
      vars: envVars(files),
      envExample: text(files, 'deploy/.env.example'),
      haproxy: text(files, 'deploy/haproxy/haproxy.cfg'),
    }).map((p) => `compose.cluster.yaml: ${p}`),
    ...kubernetesProblems(
      kubernetes,
      image,
      parseYaml(text(files, 'deploy/kubernetes/kustomization.yaml'), 'kustomization.yaml') as {
        resources?: string[];
        namespace?: string;
      },
    ).map((p) => `kubernetes: ${p}`),
    ...agreementProblems(
      cluster,
      kubernetes.flatMap((f) => f.manifests),
      image,
    ),
  ];
}

function kubernetesApiProblems(files: Files): string[] {
  return manifestsOf(files).flatMap((f) => f.documents.flatMap((d) => kubernetesSchemaProblems(d, f.file)));
}

/** Every check's problems; a check that cannot read a broken file says so instead of throwing. */
function allProblems(files: Files, lint: boolean): string[] {
  const attempt = (what: string, check: () => string[]) => {
    try {
      return check();
    } catch (error) {
      return [`${what}: ${error instanceof Error ? error.message : String(error)}`];
    }
  };
  return [
    ...attempt('Dockerfile', () => dockerProblems(files)),
    ...attempt('Compose', () => composeFileProblems(files, lint)),
    ...attempt('Kubernetes', () => kubernetesApiProblems(files)),
    ...attempt('shapes', () => shapeProblems(files)),
  ];
}

test('the Dockerfile lints clean and builds the image the deployments expect', () => {
  assert.deepEqual(dockerProblems(deployFiles()), []);
});

test('both Compose files match the Compose Specification and pass dclint', () => {
  assert.deepEqual(composeFileProblems(deployFiles()), []);
});

test('every Kubernetes object matches its kind’s API schema', () => {
  const files = deployFiles();
  assert.ok(manifestsOf(files).length >= 7, 'the manifests are there');
  assert.deepEqual(kubernetesApiProblems(files), []);
});

test('each shape keeps its promises, and Compose and Kubernetes configure the cluster alike', () => {
  assert.deepEqual(shapeProblems(deployFiles()), []);
});

/**
 * One broken promise: in `file`, `from` becomes `to`, and a problem matching `expect` is reported
 * (by dclint too when `lint`).
 */
const breakages: readonly {
  file: string;
  from: string | RegExp;
  to: string;
  expect: RegExp;
  lint?: boolean;
}[] = [
  {
    file: 'deploy/Dockerfile',
    from: 'USER 10001:10001',
    to: 'USER root',
    expect: /USER root: give a numeric uid/,
  },
  {
    file: 'deploy/Dockerfile',
    from: 'USER 10001:10001',
    to: 'USER 0',
    expect: /USER 0: the image would run as root/,
  },
  {
    file: 'deploy/Dockerfile',
    from: "'/api/health')",
    to: "'/healthz')",
    expect: /HEALTHCHECK does not probe \/api\/health/,
  },
  {
    file: 'deploy/Dockerfile',
    from: 'HEALTHCHECK --interval',
    to: 'HEALTHCHECK --interva',
    expect: /Unknown flag: interva/,
  },
  {
    file: 'deploy/Dockerfile',
    from: 'ENV CAPSTAN_HOST=0.0.0.0 \\',
    to: 'ENV \\',
    expect: /CAPSTAN_HOST unset/,
  },
  {
    file: 'deploy/Dockerfile',
    from: 'CAPSTAN_LOG_FORMAT=json',
    to: 'CAPSTAN_LOGFORMAT=json',
    expect: /CAPSTAN_LOGFORMAT is no setting/,
  },
  { file: 'deploy/Dockerfile', from: 'CAPSTAN_PORT=8080', to: 'CAPSTAN_PORT=http', expect: /capstan\.port/ },
  {
    file: 'deploy/Dockerfile',
    from: 'VOLUME ["/var/lib/capstan"]',
    to: 'VOLUME ["/data"]',
    expect: /is not a VOLUME/,
  },
  { file: 'deploy/Dockerfile', from: 'npm ci --omit=dev', to: 'npm ci', expect: /npm ci --omit=dev/ },
  {
    file: 'deploy/Dockerfile',
    from: 'FROM node:24-bookworm-slim AS runtime',
    to: 'FROM node AS runtime',
    expect: /pin a tag/,
  },
  { file: 'deploy/Dockerfile', from: 'CMD ["serve"]', to: 'CMD serve', expect: /CMD is not \["serve"\]/ },
  {
    file: 'deploy/Dockerfile',
    from: 'COPY console/ console/',
    to: 'COPY consoles/ console/',
    expect: /consoles\/: not in the build context/,
  },
  { file: '.dockerignore', from: /^\*\*\/node_modules$/m, to: '', expect: /does not keep node_modules out/ },
  {
    file: 'deploy/compose.yaml',
    from: "'127.0.0.1:8080:8080'",
    to: "'8080:8080'",
    expect: /every host interface/,
  },
  {
    file: 'deploy/compose.yaml',
    from: "- '127.0.0.1:8080:8080'",
    to: '- 127.0.0.1:8080:8080',
    expect: /require-quotes-in-ports/,
    lint: true,
  },
  {
    file: 'deploy/compose.yaml',
    from: '/api/ready',
    to: '/api/health',
    expect: /probes \/api\/health, not \/api\/ready/,
  },
  {
    file: 'deploy/compose.yaml',
    from: 'restart: unless-stopped',
    to: 'restart_policy: always',
    expect: /must NOT have additional properties/,
  },
  {
    file: 'deploy/compose.yaml',
    from: '- capstan-data:/var/lib/capstan',
    to: '- capstan-data:/data',
    expect: /not on a named volume/,
  },
  {
    file: 'deploy/compose.cluster.yaml',
    from: 'CAPSTAN_NODE_ID: capstan-2',
    to: 'CAPSTAN_NODE_ID: capstan-1',
    expect: /not distinct/,
  },
  {
    file: 'deploy/compose.cluster.yaml',
    from: "MIGRATE_ON_START: 'false'",
    to: "MIGRATE_ON_START: 'true'",
    expect: /migrate-on-start is not false/,
  },
  {
    file: 'deploy/compose.cluster.yaml',
    from: "PIPELINE_ORCHESTRATOR_STRICT_STARTUP: 'true'",
    to: "PIPELINE_ORCHESTRATOR_STRICT_START: 'true'",
    expect: /STRICT_START is no setting/,
  },
  {
    file: 'deploy/compose.cluster.yaml',
    from: 'condition: service_completed_successfully',
    to: 'condition: service_started',
    expect: /complete successfully/,
  },
  {
    file: 'deploy/compose.cluster.yaml',
    from: 'CAPSTAN_PULL_URL: http://lb:8080',
    to: 'CAPSTAN_PULL_URL: http://capstan-1:8080',
    expect: /not the load balancer/,
  },
  {
    file: 'deploy/compose.cluster.yaml',
    from: '${CAPSTAN_WORKER_SECRET:?',
    to: '${CAPSTAN_WORKER_SECRETS:?',
    expect: /CAPSTAN_WORKER_SECRETS\} is not listed/,
  },
  {
    file: 'deploy/haproxy/haproxy.cfg',
    from: 'option httpchk GET /api/ready',
    to: 'option httpchk GET /api/health',
    expect: /does not check GET \/api\/ready/,
  },
  {
    file: 'deploy/haproxy/haproxy.cfg',
    from: /^\s*server capstan-3 .*$/m,
    to: '',
    expect: /haproxy\.cfg balances capstan-1, capstan-2, not the coordinators/,
  },
  {
    file: 'deploy/kubernetes/coordinator-deployment.yaml',
    from: 'path: /api/ready',
    to: 'path: /api/health',
    expect: /readinessProbe probes \/api\/health, not \/api\/ready/,
  },
  {
    file: 'deploy/kubernetes/coordinator-deployment.yaml',
    from: 'containerPort: 8080',
    to: 'containerPort: "8080"',
    expect: /containerPort must be integer/,
  },
  {
    file: 'deploy/kubernetes/coordinator-deployment.yaml',
    from: 'runAsNonRoot: true',
    to: 'runAsNonRoot: false',
    expect: /runAsNonRoot is not true/,
  },
  {
    file: 'deploy/kubernetes/coordinator-deployment.yaml',
    from: 'fieldPath: metadata.name',
    to: 'fieldPath: metadata.namespace',
    expect: /ids would not be distinct/,
  },
  {
    file: 'deploy/kubernetes/worker-deployment.yaml',
    from: 'key: CAPSTAN_WORKER_TOKEN',
    to: 'key: WORKER_TOKEN',
    expect: /which the Secret does not have/,
  },
  {
    file: 'deploy/kubernetes/migrate-job.yaml',
    from: "args: ['migrate']",
    to: "args: ['migrate', '--status']",
    expect: /expected a Job running migrate/,
  },
  {
    file: 'deploy/kubernetes/configmap.yaml',
    from: "  PIPELINE_ORCHESTRATOR_STRICT_STARTUP: 'true'\n",
    to: '',
    expect: /strict-startup is off/,
  },
  {
    file: 'deploy/kubernetes/configmap.yaml',
    from: "PIPELINE_ORCHESTRATOR_POSTGRES_POOL_SIZE: '10'",
    to: "PIPELINE_ORCHESTRATOR_POSTGRES_POOL_SIZE: '12'",
    expect: /POOL_SIZE is 10 in Compose, 12 in Kubernetes/,
  },
  {
    file: 'deploy/kubernetes/coordinator-pdb.yaml',
    from: /(matchLabels:\n.*\n\s+app\.kubernetes\.io\/component: )coordinator/,
    to: '$1worker',
    expect: /no PodDisruptionBudget selects the coordinator pods/,
  },
  {
    file: 'deploy/kubernetes/kustomization.yaml',
    from: '  - coordinator-pdb.yaml\n',
    to: '',
    expect: /kustomization\.yaml lists/,
  },
];

test('the checks catch each broken promise', () => {
  const files = deployFiles();
  for (const breakage of breakages) {
    const original = text(files, breakage.file);
    const broken = original.replace(breakage.from, breakage.to);
    assert.ok(broken !== original, `${breakage.file} has ${String(breakage.from)}`);
    const problems = allProblems(new Map([...files, [breakage.file, broken]]), breakage.lint === true);
    assert.ok(
      problems.some((p) => breakage.expect.test(p)),
      `${breakage.file}: ${String(breakage.from)} → ${breakage.to}: expected ${breakage.expect}, got\n${problems.join('\n')}`,
    );
  }
});

test('the deploy folder holds the interface other checks rely on', () => {
  for (const path of ['Dockerfile', 'compose.yaml', 'compose.cluster.yaml', 'kubernetes'])
    assert.ok(existsSync(join(DEPLOY, path)), `deploy/${path}`);
});
