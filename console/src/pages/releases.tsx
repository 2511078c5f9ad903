import { useState } from 'preact/hooks';
import { time } from '../format.ts';
import { usePoll } from '../poll.ts';
import { messageOf } from '../session.ts';
import type { PageProps } from './props.ts';

export function ReleasesPage({ client, session }: PageProps) {
  const pipelines = usePoll(() => client.pipelines(), [client]);
  const admin = session.role === 'admin';
  return (
    <section>
      <h1>Releases</h1>
      {pipelines.error && <p class="error">{pipelines.error}</p>}
      {!admin && (
        <p class="muted" data-testid="admin-only">
          Registered releases, their activation history and activation need an admin token; an operator sees
          each pipeline's active release.
        </p>
      )}
      {(pipelines.data ?? []).map((p) => (
        <div class="group" key={p.pipelineId}>
          <h2>
            {p.pipelineId} <span class="muted">active: {p.activeReleaseVersion ?? 'none'}</span>
          </h2>
          {admin && <PipelineReleases {...{ client, session }} pipelineId={p.pipelineId} />}
        </div>
      ))}
    </section>
  );
}

function PipelineReleases({ client, pipelineId }: PageProps & { pipelineId: string }) {
  const releases = usePoll(() => client.releases.list(pipelineId), [client, pipelineId]);
  const activations = usePoll(() => client.releases.activations(pipelineId), [client, pipelineId]);
  const [message, setMessage] = useState<string>();
  const activate = (version: string) => {
    if (!confirm(`Activate ${pipelineId} ${version}? New executions will run it.`)) return;
    client.releases.activate(pipelineId, version).then(
      () => {
        setMessage(`Activated ${version}.`);
        releases.refresh();
        activations.refresh();
      },
      (e: unknown) => setMessage(messageOf(e)),
    );
  };
  return (
    <>
      {releases.error && <p class="error">{releases.error}</p>}
      <table data-testid="releases">
        <thead>
          <tr>
            <th>Release</th>
            <th>Contract</th>
            <th>Status</th>
            <th>Registered</th>
            <th>Activated</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(releases.data ?? []).map((r) => (
            <tr key={r.releaseVersion}>
              <td>{r.releaseVersion}</td>
              <td>{r.contractVersion}</td>
              <td>
                <span class={`badge r-${r.status}`}>{r.status}</span>
              </td>
              <td>{time(r.createdAtEpochMs)}</td>
              <td>{time(r.activatedAtEpochMs)}</td>
              <td>
                {r.status !== 'ACTIVE' && (
                  <button type="button" onClick={() => activate(r.releaseVersion)}>
                    Activate
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {message && <p class="note">{message}</p>}
      <h3>Activation history</h3>
      <table class="compact" data-testid="activations">
        <thead>
          <tr>
            <th>#</th>
            <th>Release</th>
            <th>At</th>
            <th>By</th>
          </tr>
        </thead>
        <tbody>
          {[...(activations.data ?? [])].reverse().map((a) => (
            <tr key={a.seq}>
              <td>{a.seq}</td>
              <td>{a.releaseVersion}</td>
              <td>{time(a.activatedAtEpochMs)}</td>
              <td>{a.actor ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
