import { pretty, relative, time } from '../format.ts';
import { usePoll } from '../poll.ts';
import type { PageProps } from './props.ts';

export function ClusterPage({ client }: PageProps) {
  const info = usePoll(() => client.cluster(), [client]);
  const ready = usePoll(() => client.ready(), [client]);
  const nodes = usePoll(() => client.clusterNodes(), [client]);
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
          <dt>Shape</dt>
          <dd data-testid="shape">
            {info.data.topology.currentShape}{' '}
            <span class="muted">
              ({info.data.topology.executionMode}, {info.data.topology.taskDispatchMode})
            </span>
          </dd>
          <dt>Store</dt>
          <dd>
            {info.data.store.provider} {info.data.store.shared ? '(shared)' : '(single node)'}
            {info.data.backend.warnings.map((w) => (
              <div key={w.code} class="muted" title={w.code}>
                {w.message}
              </div>
            ))}
          </dd>
          <dt>Worker protocols</dt>
          <dd>
            {info.data.protocols.workerProtocols.join(', ')}
            {info.data.protocols.queueBroker && ` (queue over ${info.data.protocols.queueBroker})`}
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
      <h2>Nodes</h2>
      {nodes.error && <p class="error">{nodes.error}</p>}
      {nodes.data && (
        <>
          <table data-testid="nodes">
            <thead>
              <tr>
                <th>Node</th>
                <th>State</th>
                <th>Ready</th>
                <th>Maintenance</th>
                <th>Version</th>
                <th>Address</th>
                <th>Started</th>
                <th>Last heartbeat</th>
              </tr>
            </thead>
            <tbody>
              {nodes.data.nodes.map((n) => (
                <tr key={n.nodeId} data-node={n.nodeId}>
                  <td>
                    {n.nodeId} {n.nodeId === nodes.data?.thisNode && <span class="muted">(this node)</span>}
                  </td>
                  <td>
                    <span class={`badge n-${n.state}`}>{n.state}</span>
                  </td>
                  <td>
                    <span class={`badge ready-${n.ready ? 'UP' : 'DOWN'}`}>
                      {n.ready ? 'ready' : 'not ready'}
                    </span>
                  </td>
                  <td>{n.leader ? <strong>leader</strong> : ''}</td>
                  <td>{n.version}</td>
                  <td>{n.address ?? '—'}</td>
                  <td>{time(Date.parse(n.startedAt))}</td>
                  <td title={n.lastHeartbeatAt}>{relative(Date.parse(n.lastHeartbeatAt))}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p class="muted">
            Each node heartbeats every {nodes.data.heartbeatIntervalMs / 1000} s; one silent for{' '}
            {nodes.data.staleAfterMs / 1000} s is stale, and is pruned after an hour or more.
          </p>
        </>
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
