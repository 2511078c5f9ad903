import { useState } from 'preact/hooks';
import type { Worker } from '../../../src/client/index.ts';
import { relative, time } from '../format.ts';
import { usePoll } from '../poll.ts';
import { messageOf } from '../session.ts';
import type { PageProps } from './props.ts';

export function WorkersPage({ client, session }: PageProps) {
  const admin = session.role === 'admin';
  const workers = usePoll(async () => {
    if (!admin) return [];
    const pipelines = await client.pipelines();
    const lists = await Promise.all(pipelines.map((p) => client.workers.list(p.pipelineId)));
    return lists.flat();
  }, [client, admin]);
  const [message, setMessage] = useState<string>();
  const signal = (w: Worker, verb: 'drain' | 'undrain') =>
    client.workers[verb](w.pipelineId, w.workerId).then(
      (after) => {
        setMessage(`${w.workerId}: ${after.state}`);
        workers.refresh();
      },
      (e: unknown) => setMessage(messageOf(e)),
    );
  return (
    <section>
      <h1>Workers</h1>
      {!admin && <p class="muted">The worker registry needs an admin token.</p>}
      {workers.error && <p class="error">{workers.error}</p>}
      {admin && (
        <table data-testid="workers">
          <thead>
            <tr>
              <th>Worker</th>
              <th>Pipeline</th>
              <th>Release</th>
              <th>Protocol</th>
              <th>State</th>
              <th>Last heartbeat</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {(workers.data ?? []).map((w) => (
              <tr key={`${w.pipelineId}/${w.workerId}`}>
                <td>{w.workerId}</td>
                <td>{w.pipelineId}</td>
                <td>
                  {w.releaseVersion} <span class="muted">(contract {w.contractVersion})</span>
                </td>
                <td>
                  {w.protocol} <span class="muted">{w.endpoint}</span>
                </td>
                <td>
                  <span class={`badge w-${w.state}`}>{w.state}</span>
                </td>
                <td title={time(w.lastHeartbeatAtEpochMs)}>
                  {w.lastHeartbeatAtEpochMs === null ? '—' : relative(w.lastHeartbeatAtEpochMs)}
                </td>
                <td>
                  {w.state === 'DRAINING' ? (
                    <button type="button" onClick={() => void signal(w, 'undrain')}>
                      Undrain
                    </button>
                  ) : (
                    <button type="button" onClick={() => void signal(w, 'drain')}>
                      Drain
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {admin && workers.data?.length === 0 && (
        <p class="muted">No remote workers registered (in-process segments need none).</p>
      )}
      {message && <p class="note">{message}</p>}
    </section>
  );
}
