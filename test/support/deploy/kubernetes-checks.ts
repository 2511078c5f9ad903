/**
 * The Kubernetes manifests' checks: each object against the Kubernetes API's schema for its kind
 * (kubernetes-models' validators), then what the manifests promise: pods that run as the image's
 * non-root user with a read-only root and no capabilities, resources set, coordinator probes on
 * /api/health (liveness) and /api/ready (readiness), the cluster's settings in the ConfigMap and
 * the secrets in the Secret, a migration Job running `migrate`, a Service and a
 * PodDisruptionBudget that select the coordinators, workers pulling through the Service.
 */
import { ConfigMap, Namespace, Secret, Service } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { z } from 'zod';
import { clusterSettingProblems } from './cluster-settings.ts';
import type { ImageFacts } from './dockerfile-checks.ts';
import { configOf, envProblems, refProblems } from './setting-env.ts';

type Validating = new (data: never) => { validate(): void };
const MODELS: Readonly<Record<string, Validating>> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};

/** Where an object breaks the Kubernetes API schema of its kind (or is of a kind not expected here). */
export function kubernetesSchemaProblems(document: unknown, where: string): string[] {
  const { apiVersion, kind } = document as { apiVersion?: string; kind?: string };
  const Model = MODELS[`${apiVersion}/${kind}`];
  if (!Model) return [`${where}: ${apiVersion}/${kind} is not a kind these manifests use`];
  try {
    new Model(document as never).validate();
    return [];
  } catch (error) {
    return [`${where} ${kind}: ${(error as Error).message}`];
  }
}

const labels = z.record(z.string(), z.string());
const HttpProbe = z.looseObject({
  httpGet: z.looseObject({ path: z.string(), port: z.union([z.string(), z.number()]) }).optional(),
});
const EnvVar = z.looseObject({
  name: z.string(),
  value: z.string().optional(),
  valueFrom: z
    .looseObject({
      secretKeyRef: z.looseObject({ name: z.string(), key: z.string() }).optional(),
      fieldRef: z.looseObject({ fieldPath: z.string() }).optional(),
    })
    .optional(),
});
const Container = z.looseObject({
  name: z.string(),
  image: z.string(),
  args: z.array(z.string()).default([]),
  env: z.array(EnvVar).default([]),
  envFrom: z
    .array(z.looseObject({ configMapRef: z.looseObject({ name: z.string() }).optional() }))
    .default([]),
  ports: z.array(z.looseObject({ name: z.string().optional(), containerPort: z.number() })).default([]),
  livenessProbe: HttpProbe.optional(),
  readinessProbe: HttpProbe.optional(),
  resources: z
    .looseObject({
      requests: z.record(z.string(), z.string()).optional(),
      limits: z.record(z.string(), z.string()).optional(),
    })
    .optional(),
  securityContext: z
    .looseObject({
      allowPrivilegeEscalation: z.boolean().optional(),
      readOnlyRootFilesystem: z.boolean().optional(),
      capabilities: z.looseObject({ drop: z.array(z.string()).optional() }).optional(),
    })
    .optional(),
  volumeMounts: z.array(z.looseObject({ mountPath: z.string() })).default([]),
});
const PodSpec = z.looseObject({
  containers: z.array(Container),
  automountServiceAccountToken: z.boolean().optional(),
  securityContext: z
    .looseObject({ runAsNonRoot: z.boolean().optional(), runAsUser: z.number().optional() })
    .optional(),
});
const Workload = z.looseObject({
  kind: z.enum(['Deployment', 'Job']),
  metadata: z.looseObject({ name: z.string() }),
  spec: z.looseObject({
    replicas: z.number().optional(),
    template: z.looseObject({ metadata: z.looseObject({ labels }).optional(), spec: PodSpec }),
  }),
});
const Manifest = z.looseObject({
  kind: z.string(),
  metadata: z.looseObject({ name: z.string(), namespace: z.string().optional() }),
  data: z.record(z.string(), z.string()).optional(),
  stringData: z.record(z.string(), z.string()).optional(),
  spec: z.unknown().optional(),
});
type Workload = z.infer<typeof Workload>;
type Container = z.infer<typeof Container>;
export type Manifest = z.infer<typeof Manifest>;

export function parseManifests(documents: readonly unknown[]): Manifest[] {
  return documents.map((d) => Manifest.parse(d));
}

const selects = (selector: Record<string, string>, podLabels: Record<string, string> = {}) =>
  Object.entries(selector).every(([k, v]) => podLabels[k] === v);

/**
 * A container's environment as Kubernetes gives it: the image's, then its ConfigMaps (`envFrom`),
 * then its own `env`, with `secret(name, key)` standing in for Secret keys and `field(path)` for
 * the Downward API. Also the names that come from a Secret.
 */
export function containerEnv(
  container: Container,
  manifests: readonly Manifest[],
  image: ImageFacts,
  fill: { secret(name: string, key: string): string; field(path: string): string },
): { env: Record<string, string>; secretNames: string[] } {
  const env: Record<string, string> = { ...image.env };
  for (const source of container.envFrom) {
    const name = source.configMapRef?.name;
    const configMap = manifests.find((m) => m.kind === 'ConfigMap' && m.metadata.name === name);
    if (!configMap) throw new Error(`${container.name}: no ConfigMap ${name}`);
    Object.assign(env, configMap.data);
  }
  const secretNames: string[] = [];
  for (const variable of container.env) {
    const { secretKeyRef, fieldRef } = variable.valueFrom ?? {};
    if (secretKeyRef) secretNames.push(variable.name);
    env[variable.name] = secretKeyRef
      ? fill.secret(secretKeyRef.name, secretKeyRef.key)
      : fieldRef
        ? fill.field(fieldRef.fieldPath)
        : (variable.value ?? '');
  }
  return { env, secretNames };
}

/** The workloads by role: the first argument of their container (`serve`, `worker`, `migrate`). */
export function workloads(manifests: readonly Manifest[], role: string): Workload[] {
  return manifests
    .filter((m) => m.kind === 'Deployment' || m.kind === 'Job')
    .map((m) => Workload.parse(m))
    .filter((w) => (w.spec.template.spec.containers[0]?.args[0] ?? 'serve') === role);
}

const placeholders = { secret: () => 'a-secret-value', field: (path: string) => `from-${path}` };

function podProblems(workload: Workload, image: ImageFacts, where: string): string[] {
  const problems: string[] = [];
  const pod = workload.spec.template.spec;
  if (pod.securityContext?.runAsNonRoot !== true) problems.push(`${where}: runAsNonRoot is not true`);
  if (pod.securityContext?.runAsUser !== image.uid)
    problems.push(
      `${where}: runAsUser ${pod.securityContext?.runAsUser} is not the image's uid ${image.uid}`,
    );
  if (pod.automountServiceAccountToken !== false)
    problems.push(`${where}: mounts a service account token it never uses`);
  for (const container of pod.containers) {
    const security = container.securityContext;
    if (security?.allowPrivilegeEscalation !== false)
      problems.push(`${where}: allowPrivilegeEscalation is not false`);
    if (security?.readOnlyRootFilesystem !== true) problems.push(`${where}: the root filesystem is writable`);
    if (!security?.capabilities?.drop?.includes('ALL'))
      problems.push(`${where}: capabilities are not all dropped`);
    const { requests = {}, limits = {} } = container.resources ?? {};
    if (!requests.cpu || !requests.memory || !limits.memory)
      problems.push(`${where}: resources need cpu and memory requests and a memory limit`);
    if (!container.volumeMounts.some((m) => m.mountPath === '/tmp'))
      problems.push(`${where}: no writable /tmp under a read-only root`);
  }
  return problems;
}

/** Everything wrong with the manifests (`files`: each file's parsed objects). */
export function kubernetesProblems(
  files: readonly { file: string; manifests: readonly Manifest[] }[],
  image: ImageFacts,
  kustomization: { resources?: string[]; namespace?: string },
): string[] {
  const problems: string[] = [];
  const manifests = files.flatMap((f) => f.manifests);
  const namespace = manifests.find((m) => m.kind === 'Namespace')?.metadata.name;
  if (!namespace) problems.push('no Namespace');
  for (const m of manifests)
    if (m.kind !== 'Namespace' && m.metadata.namespace !== namespace)
      problems.push(`${m.kind} ${m.metadata.name}: namespace ${m.metadata.namespace}, not ${namespace}`);
  if (kustomization.namespace !== namespace)
    problems.push(`kustomization.yaml: namespace is not ${namespace}`);
  const applied = files.filter((f) => !f.manifests.some((m) => m.kind === 'Secret')).map((f) => f.file);
  if (JSON.stringify([...(kustomization.resources ?? [])].sort()) !== JSON.stringify(applied.sort()))
    problems.push(
      `kustomization.yaml lists ${kustomization.resources?.join(', ')}; expected ${applied.join(', ')} (no Secret)`,
    );

  const secret = manifests.find((m) => m.kind === 'Secret');
  const secretKeys = new Set(Object.keys(secret?.stringData ?? secret?.data ?? {}));
  const images = new Set<string>();
  const all = [
    ...workloads(manifests, 'serve'),
    ...workloads(manifests, 'worker'),
    ...workloads(manifests, 'migrate'),
  ];
  for (const workload of all) {
    const where = `${workload.kind} ${workload.metadata.name}`;
    problems.push(...podProblems(workload, image, where));
    for (const container of workload.spec.template.spec.containers) {
      images.add(container.image);
      for (const variable of container.env) {
        const ref = variable.valueFrom?.secretKeyRef;
        if (ref && (ref.name !== secret?.metadata.name || !secretKeys.has(ref.key)))
          problems.push(
            `${where}: ${variable.name} comes from ${ref.name}/${ref.key}, which the Secret does not have`,
          );
      }
      const { env } = containerEnv(container, manifests, image, placeholders);
      // A migration resolves the database URL only; the tokens are the serving nodes' business.
      const needed = container.args[0] === 'migrate' ? ['PIPELINE_ORCHESTRATOR_POSTGRES_URL'] : undefined;
      problems.push(...envProblems(env, where), ...refProblems(env, where, needed));
    }
  }
  if (images.size !== 1)
    problems.push(`the workloads run ${images.size} images, expected one for every role`);

  const coordinators = workloads(manifests, 'serve');
  if (coordinators.length !== 1)
    return [...problems, `${coordinators.length} coordinator Deployments, expected 1`];
  const [coordinator] = coordinators as [Workload];
  const where = `Deployment ${coordinator.metadata.name}`;
  if ((coordinator.spec.replicas ?? 1) < 2) problems.push(`${where}: fewer than 2 replicas`);
  const [container] = coordinator.spec.template.spec.containers as [Container];
  const { env } = containerEnv(container, manifests, image, placeholders);
  const values = configOf(env);
  if (values instanceof Error) return [...problems, `${where}: ${values.message}`];
  problems.push(...clusterSettingProblems(values, where));
  if (
    container.env.find((v) => v.name === 'CAPSTAN_NODE_ID')?.valueFrom?.fieldRef?.fieldPath !==
    'metadata.name'
  )
    problems.push(`${where}: CAPSTAN_NODE_ID is not the pod's name: the nodes' ids would not be distinct`);
  if (!container.volumeMounts.some((m) => m.mountPath === values['capstan.data-dir']))
    problems.push(`${where}: nothing writable at the data directory ${values['capstan.data-dir']}`);
  const portOf = (port: string | number | undefined) =>
    typeof port === 'number' ? port : container.ports.find((p) => p.name === port)?.containerPort;
  for (const [probe, path] of [
    ['livenessProbe', '/api/health'],
    ['readinessProbe', '/api/ready'],
  ] as const) {
    const get = container[probe]?.httpGet;
    if (get?.path !== path) problems.push(`${where}: ${probe} probes ${get?.path}, not ${path}`);
    if (portOf(get?.port) !== values['capstan.port'])
      problems.push(
        `${where}: ${probe} probes port ${get?.port}, not the one it listens on (${values['capstan.port']})`,
      );
  }
  const podLabels = coordinator.spec.template.metadata?.labels;
  const workerLabels = workloads(manifests, 'worker').map((w) => w.spec.template.metadata?.labels);

  const services = manifests.filter((m) => m.kind === 'Service');
  const service = services
    .map((m) => ({
      name: m.metadata.name,
      spec: z
        .looseObject({
          selector: labels,
          ports: z.array(z.looseObject({ port: z.number(), targetPort: z.union([z.string(), z.number()]) })),
        })
        .parse(m.spec),
    }))
    .find((s) => selects(s.spec.selector, podLabels));
  if (!service) problems.push('no Service selects the coordinator pods');
  else {
    if (workerLabels.some((l) => selects(service.spec.selector, l)))
      problems.push(`Service ${service.name} selects worker pods too`);
    if (!service.spec.ports.some((p) => portOf(p.targetPort) === values['capstan.port']))
      problems.push(`Service ${service.name}: no port targets the coordinators' ${values['capstan.port']}`);
  }
  const budget = manifests.find((m) => m.kind === 'PodDisruptionBudget');
  const budgetSpec = z
    .looseObject({
      selector: z.looseObject({ matchLabels: labels }),
      maxUnavailable: z.number().optional(),
      minAvailable: z.number().optional(),
    })
    .safeParse(budget?.spec);
  if (!budgetSpec.success || !selects(budgetSpec.data.selector.matchLabels, podLabels))
    problems.push('no PodDisruptionBudget selects the coordinator pods');
  else if (budgetSpec.data.maxUnavailable === undefined && budgetSpec.data.minAvailable === undefined)
    problems.push('the PodDisruptionBudget sets neither maxUnavailable nor minAvailable');

  for (const job of workloads(manifests, 'migrate')) {
    const [migrate] = job.spec.template.spec.containers as [Container];
    if (job.kind !== 'Job' || migrate.args.join(' ') !== 'migrate')
      problems.push(
        `${job.kind} ${job.metadata.name}: runs ${migrate.args.join(' ')}, expected a Job running migrate`,
      );
    if (JSON.stringify(migrate.envFrom) !== JSON.stringify(container.envFrom))
      problems.push(`Job ${job.metadata.name}: not configured from the coordinators' ConfigMap`);
  }
  if (workloads(manifests, 'migrate').length !== 1)
    problems.push('no migration Job (a container running `migrate`)');
  const workers = workloads(manifests, 'worker');
  if (workers.length === 0) problems.push('no worker Deployment');
  for (const worker of workers) {
    const { env: workerEnv } = containerEnv(
      worker.spec.template.spec.containers[0] as Container,
      manifests,
      image,
      placeholders,
    );
    const workerValues = configOf(workerEnv);
    const pull = workerValues instanceof Error ? undefined : workerValues['capstan.worker.pull-url'];
    const expected = service && `http://${service.name}:${service.spec.ports[0]?.port}`;
    if (pull !== expected)
      problems.push(`Deployment ${worker.metadata.name}: pulls from ${pull}, not the Service (${expected})`);
  }
  return problems;
}
