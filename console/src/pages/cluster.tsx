import { pretty, time } from '../format.ts';
import { usePoll } from '../poll.ts';
import type { PageProps } from './props.ts';

export function ClusterPage({ client }: PageProps) {
  const info = usePoll(() => client.cluster(), [client]);
  const ready = usePoll(() => client.ready(), [client]);
  const leader = info.data?.maintenance.leader;
  return (
    <section>
      <h1>Cluster</h1>
      {info.error && <p class="error">{info.error}</p>}
      {info.data && (
        <dl class="facts" data-testid="cluster">
          <dt>This node</dt>
          <dd>
            {info.data.nodeId} <span class="muted">({info.data.roles.join(', ')})</span>
          </dd>
          <dt>Store</dt>
          <dd>
            {info.data.store.provider} {info.data.store.shared ? '(shared)' : '(single node)'}
          </dd>
          <dt>Maintenance leader</dt>
          <dd>
            {leader
              ? `${leader.nodeId} (epoch ${leader.epoch}, since ${time(Date.parse(leader.since))}, lease to ${time(Date.parse(leader.expiresAt))})`
              : 'none'}
          </dd>
          <dt>Readiness</dt>
          <dd>
            <span class={`badge ready-${ready.data?.status ?? 'unknown'}`} data-testid="readiness">
              {ready.data?.status ?? '…'}
            </span>{' '}
            {ready.data?.checks.map((c) => `${c.name} ${c.status}`).join(' · ')}
          </dd>
        </dl>
      )}
      {info.data && (
        <details>
          <summary>Build</summary>
          <pre>{pretty(info.data.build)}</pre>
        </details>
      )}
    </section>
  );
}
