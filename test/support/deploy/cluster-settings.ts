/**
 * What every coordinator node of a cluster must be configured with, whichever file configures
 * it (deploy/compose.cluster.yaml, the Kubernetes ConfigMap): one shared PostgreSQL, migrations
 * left to the migration run, the same configured tokens everywhere (a generated token would
 * differ from node to node), no pipeline code in the coordinators, and a listener the other
 * containers can reach.
 */
import type { Settings } from '../../../src/config/settings.ts';

const isRef = (value: string | undefined) => value !== undefined && /^(env|file):/.test(value);

export function clusterSettingProblems(values: Settings, where: string): string[] {
  const problems: string[] = [];
  const expect = (ok: boolean, what: string) => {
    if (!ok) problems.push(`${where}: ${what}`);
  };
  expect(values['pipeline.orchestrator.state-provider'] === 'postgres', 'state-provider is not postgres');
  expect(
    isRef(values['pipeline.orchestrator.postgres.url']),
    'postgres.url is not a secret ref (env:NAME or file:/path): the password would sit in the configuration',
  );
  expect(
    values['pipeline.orchestrator.postgres.migrate-on-start'] === false,
    'postgres.migrate-on-start is not false: every node would migrate at start, not the migration run',
  );
  expect(
    values['pipeline.orchestrator.strict-startup'],
    'strict-startup is off: a node could start on generated tokens',
  );
  for (const key of [
    'pipeline.orchestrator.control-plane.admin-token-ref',
    'pipeline.orchestrator.admin.admin-token-ref',
    'pipeline.orchestrator.worker.token-ref',
  ] as const)
    expect(isRef(values[key]), `${key} is not set: each node would generate a token of its own`);
  expect(
    values['pipeline.orchestrator.control-plane.require-remote-worker'],
    'require-remote-worker is off: the coordinators would run pipeline code',
  );
  expect(
    [
      values['pipeline.orchestrator.worker.rest.shared-secret-ref'],
      values['pipeline.orchestrator.worker.grpc.shared-secret-ref'],
      values['pipeline.orchestrator.worker.queue.shared-secret-ref'],
    ].some(isRef),
    'require-remote-worker needs a worker protocol secret ref, or the node refuses to start',
  );
  expect(
    values['capstan.host'] === '0.0.0.0',
    `capstan.host is ${values['capstan.host']}: unreachable from other containers`,
  );
  return problems;
}
