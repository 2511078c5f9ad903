/**
 * The small cluster's processes exactly as deploy/ describes them — each one's arguments and
 * environment, the image's environment included — so a test can start them on loopback. The
 * pipelines folder the containers see at /app/pipelines is the one Compose mounts there.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { clusterNodeEnv, capstanServices, parseCompose, type ComposeService } from './compose-checks.ts';
import { imageFacts } from './dockerfile-checks.ts';
import { DEPLOY, kubernetesFiles, KUBERNETES, parseYamlDocuments, readYaml } from './files.ts';
import { containerEnv, parseManifests, workloads } from './kubernetes-checks.ts';

/** Where the image expects the pipelines (`--pipelines /app/pipelines`). */
const PIPELINES_IN_IMAGE = '/app/pipelines';

export interface DeployedProcess {
  /** `capstan` arguments, the in-image pipelines folder replaced by the host's. */
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

export interface DeployedCluster {
  /** The first coordinator service of compose.cluster.yaml. */
  readonly composeNode: DeployedProcess;
  /** The coordinator Deployment's container. */
  readonly kubernetesNode: DeployedProcess;
  /** The migration Job's container. */
  readonly migrate: DeployedProcess;
  /** The worker Deployment's container (its Compose twin is configured alike: the unit test checks). */
  readonly worker: DeployedProcess;
}

/** Host folders Compose mounts under /app/pipelines. */
function pipelineMounts(service: ComposeService): string[] {
  return (service.volumes ?? []).flatMap((v) => {
    const [source = '', target = ''] = typeof v === 'string' ? v.split(':') : [v.source ?? '', v.target];
    return target.startsWith(PIPELINES_IN_IMAGE) ? [resolve(DEPLOY, source)] : [];
  });
}

const onHost = (args: readonly string[], pipelines: readonly string[]) =>
  args.flatMap((a) => (a === PIPELINES_IN_IMAGE ? pipelines : [a]));

/**
 * The cluster's processes. `secrets` stands for deploy/.env and for the Secret's keys alike;
 * `podName` for the Downward API's metadata.name.
 */
export function deployedCluster(
  secrets: Readonly<Record<string, string>>,
  podName: (role: string) => string,
): DeployedCluster {
  const image = imageFacts(readFileSync(join(DEPLOY, 'Dockerfile'), 'utf8'));
  const compose = parseCompose(readYaml(join(DEPLOY, 'compose.cluster.yaml')));
  const [node] = capstanServices(compose, 'serve');
  if (!node) throw new Error('compose.cluster.yaml has no coordinator');
  const pipelines = pipelineMounts(node[1]);
  const commandOf = (service: ComposeService) =>
    typeof service.command === 'string' ? service.command.split(/\s+/) : (service.command ?? []);

  const manifests = kubernetesFiles().flatMap((file) =>
    parseManifests(parseYamlDocuments(readFileSync(join(KUBERNETES, file), 'utf8'), file)),
  );
  const fromKubernetes = (role: string): DeployedProcess => {
    const container = workloads(manifests, role)[0]?.spec.template.spec.containers[0];
    if (!container) throw new Error(`no Kubernetes workload runs ${role}`);
    const fill = {
      secret: (_name: string, key: string) => {
        const value = secrets[key];
        if (value === undefined) throw new Error(`no test value for the Secret's ${key}`);
        return value;
      },
      field: (path: string) => {
        if (path !== 'metadata.name') throw new Error(`no test value for ${path}`);
        return podName(role);
      },
    };
    return {
      args: onHost(container.args, pipelines),
      env: containerEnv(container, manifests, image, fill).env,
    };
  };

  return {
    composeNode: {
      args: onHost(commandOf(node[1]), pipelines),
      env: clusterNodeEnv(compose, node[0], image, secrets),
    },
    kubernetesNode: fromKubernetes('serve'),
    migrate: fromKubernetes('migrate'),
    worker: fromKubernetes('worker'),
  };
}
