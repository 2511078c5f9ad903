/**
 * The small cluster is described twice, for Compose and for Kubernetes: both must give a
 * coordinator, and a worker, the same settings. Only what is the deployment's own may differ:
 * the node's id, where a worker pulls from (each file's own load balancer), and the secrets'
 * values (deploy/.env there, the Secret here).
 */
import { clusterNodeEnv, capstanServices, serviceEnv, type Compose } from './compose-checks.ts';
import type { ImageFacts } from './dockerfile-checks.ts';
import { containerEnv, workloads, type Manifest } from './kubernetes-checks.ts';
import { referencedNames } from './setting-env.ts';

const OWN = new Set(['CAPSTAN_NODE_ID', 'CAPSTAN_PULL_URL']);

function differences(
  compose: Record<string, string>,
  kubernetes: Record<string, string>,
  role: string,
): string[] {
  const secrets = new Set([
    ...referencedNames(compose),
    ...referencedNames(kubernetes),
    'CAPSTAN_WORKER_TOKEN',
  ]);
  const problems: string[] = [];
  for (const name of new Set([...Object.keys(compose), ...Object.keys(kubernetes)])) {
    if (OWN.has(name)) continue;
    if (!(name in compose)) problems.push(`${role}: Kubernetes sets ${name}, Compose does not`);
    else if (!(name in kubernetes)) problems.push(`${role}: Compose sets ${name}, Kubernetes does not`);
    else if (!secrets.has(name) && compose[name] !== kubernetes[name])
      problems.push(`${role}: ${name} is ${compose[name]} in Compose, ${kubernetes[name]} in Kubernetes`);
  }
  return problems;
}

export function agreementProblems(
  compose: Compose,
  manifests: readonly Manifest[],
  image: ImageFacts,
): string[] {
  const fill = { secret: () => 'a-secret-value', field: (path: string) => `from-${path}` };
  const vars = new Proxy({}, { get: () => 'a-secret-value' }) as Record<string, string>;
  const problems: string[] = [];
  const [node] = capstanServices(compose, 'serve');
  const [coordinator] = workloads(manifests, 'serve');
  const coordinatorContainer = coordinator?.spec.template.spec.containers[0];
  if (node && coordinatorContainer)
    problems.push(
      ...differences(
        clusterNodeEnv(compose, node[0], image, vars),
        containerEnv(coordinatorContainer, manifests, image, fill).env,
        'coordinator',
      ),
    );
  const [worker] = capstanServices(compose, 'worker');
  const workerContainer = workloads(manifests, 'worker')[0]?.spec.template.spec.containers[0];
  if (worker && workerContainer)
    problems.push(
      ...differences(
        { ...image.env, ...serviceEnv(worker[1], vars) },
        containerEnv(workerContainer, manifests, image, fill).env,
        'worker',
      ),
    );
  return problems;
}
