import { useState } from 'preact/hooks';
import type { ExecutionStatusName, ListFilter } from '../../../src/client/index.ts';
import { relative, time } from '../format.ts';
import { usePoll } from '../poll.ts';
import { href } from '../route.ts';
import type { PageProps } from './props.ts';

export const STATUSES: readonly ExecutionStatusName[] = [
  'QUEUED',
  'RUNNING',
  'WAITING_EXTERNAL',
  'WAIT_RETRY',
  'WAITING_ITEMS',
  'SUCCEEDED',
  'FAILED',
  'DLQ',
  'CANCELLED',
];

interface Filter {
  status: string;
  pipelineId: string;
  releaseVersion: string;
  errorCode: string;
  from: string;
  to: string;
}

const EMPTY: Filter = { status: '', pipelineId: '', releaseVersion: '', errorCode: '', from: '', to: '' };

const epoch = (local: string) => (local === '' ? undefined : new Date(local).getTime());

function listFilter(f: Filter, cursor: string | undefined): ListFilter {
  return {
    status: f.status === '' ? undefined : (f.status as ExecutionStatusName),
    pipelineId: f.pipelineId || undefined,
    releaseVersion: f.releaseVersion || undefined,
    errorCode: f.errorCode || undefined,
    createdFrom: epoch(f.from),
    createdTo: epoch(f.to),
    limit: 50,
    cursor,
  };
}

export function ExecutionsPage({ client }: PageProps) {
  const [filter, setFilter] = useState<Filter>(EMPTY);
  // Keyset paging: the cursors of the pages before this one, and this page's.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const pipelines = usePoll(() => client.pipelines(), [client]);
  const page = usePoll(() => client.listPage(listFilter(filter, cursor)), [client, filter, cursor]);
  const set = (key: keyof Filter) => (e: { currentTarget: { value: string } }) => {
    setFilter({ ...filter, [key]: e.currentTarget.value });
    setCursors([undefined]);
  };
  const counts = new Map<string, number>();
  for (const p of pipelines.data ?? []) {
    for (const [status, n] of Object.entries(p.liveCounts))
      counts.set(status, (counts.get(status) ?? 0) + (n ?? 0));
  }
  return (
    <section>
      <h1>Executions</h1>
      <div class="counts" data-testid="counts">
        {[...counts].map(([status, n]) => (
          <span key={status} class={`badge s-${status}`}>
            {status} {n}
          </span>
        ))}
        {counts.size === 0 && <span class="muted">No executions under way or in the DLQ.</span>}
      </div>
      {pipelines.data && pipelines.data.length > 0 && (
        <table class="compact">
          <thead>
            <tr>
              <th>Pipeline</th>
              <th>Active release</th>
              <th>Hosted</th>
              <th>Live counts</th>
            </tr>
          </thead>
          <tbody>
            {pipelines.data.map((p) => (
              <tr key={p.pipelineId}>
                <td>{p.pipelineId}</td>
                <td>{p.activeReleaseVersion ?? '—'}</td>
                <td>{p.hosted ? 'yes' : 'no'}</td>
                <td>
                  {Object.entries(p.liveCounts)
                    .map(([s, n]) => `${s} ${n}`)
                    .join(' · ') || '—'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Status
          <select name="status" value={filter.status} onChange={set('status')}>
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Pipeline
          <select name="pipelineId" value={filter.pipelineId} onChange={set('pipelineId')}>
            <option value="">any</option>
            {(pipelines.data ?? []).map((p) => (
              <option key={p.pipelineId} value={p.pipelineId}>
                {p.pipelineId}
              </option>
            ))}
          </select>
        </label>
        <label>
          Release
          <input name="releaseVersion" value={filter.releaseVersion} onChange={set('releaseVersion')} />
        </label>
        <label>
          Error code
          <input name="errorCode" value={filter.errorCode} onChange={set('errorCode')} />
        </label>
        <label>
          Created from
          <input name="from" type="datetime-local" value={filter.from} onChange={set('from')} />
        </label>
        <label>
          to
          <input name="to" type="datetime-local" value={filter.to} onChange={set('to')} />
        </label>
      </form>
      {page.error && <p class="error">{page.error}</p>}
      <table data-testid="executions">
        <thead>
          <tr>
            <th>Execution</th>
            <th>Status</th>
            <th>Pipeline</th>
            <th>Release</th>
            <th>Step</th>
            <th>Error</th>
            <th>Created</th>
            <th>Updated</th>
          </tr>
        </thead>
        <tbody>
          {(page.data?.items ?? []).map((x) => (
            <tr key={x.executionId}>
              <td>
                <a href={href('executions', x.executionId)}>{x.executionId}</a>
              </td>
              <td>
                <span class={`badge s-${x.status}`}>{x.status}</span>
              </td>
              <td>{x.pipelineId}</td>
              <td>{x.releaseVersion}</td>
              <td>{x.stepId ?? x.stepIndex}</td>
              <td>{x.errorCode ?? ''}</td>
              <td title={time(x.createdAtEpochMs)}>{relative(x.createdAtEpochMs)}</td>
              <td title={time(x.updatedAtEpochMs)}>{relative(x.updatedAtEpochMs)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {page.data?.items.length === 0 && <p class="muted">No executions match.</p>}
      <div class="pager">
        <button
          type="button"
          disabled={cursors.length === 1}
          onClick={() => setCursors(cursors.slice(0, -1))}
        >
          Previous
        </button>
        <span>Page {cursors.length}</span>
        <button
          type="button"
          disabled={!page.data?.nextCursor}
          onClick={() => page.data?.nextCursor && setCursors([...cursors, page.data.nextCursor])}
        >
          Next
        </button>
      </div>
    </section>
  );
}
