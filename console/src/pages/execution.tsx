import { useState } from 'preact/hooks';
import { isTerminalStatus, type CapstanClient, type HistoryEvent } from '../../../src/client/index.ts';
import { preview, pretty, time } from '../format.ts';
import { usePoll } from '../poll.ts';
import { messageOf } from '../session.ts';
import type { PageProps } from './props.ts';
import { RedriveForm } from './redrive-form.tsx';
import { href } from '../route.ts';

/** The whole journal, a page at a time (oldest first). */
async function wholeHistory(client: CapstanClient, executionId: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let afterSeq: number | undefined;
  for (let pages = 0; pages < 20; pages++) {
    const page = await client.history(executionId, { afterSeq, limit: 500 });
    events.push(...page.events);
    if (page.nextAfterSeq === null) break;
    afterSeq = page.nextAfterSeq;
  }
  return events;
}

export function ExecutionPage({ client, session, executionId }: PageProps & { executionId: string }) {
  const status = usePoll(() => client.get(executionId), [client, executionId]);
  const history = usePoll(() => wholeHistory(client, executionId), [client, executionId]);
  const [actionError, setActionError] = useState<string>();
  const [note, setNote] = useState<string>();
  const x = status.data;
  const cancel = () => {
    if (!confirm(`Cancel ${executionId}?`)) return;
    client.cancel(executionId).then(status.refresh, (e: unknown) => setActionError(messageOf(e)));
  };
  return (
    <section>
      <h1>
        Execution <code>{executionId}</code>
      </h1>
      {status.error && <p class="error">{status.error}</p>}
      {x && (
        <>
          <dl class="facts">
            <dt>Status</dt>
            <dd>
              <span class={`badge s-${x.status}`} data-testid="status">
                {x.status}
              </span>
              {x.waitingFor && <span class="muted"> waiting for {x.waitingFor}</span>}
            </dd>
            {x.items && (
              <>
                <dt>Items</dt>
                <dd data-testid="items">
                  <progress max={x.items.total} value={x.items.total - x.items.open} /> {x.items.succeeded}{' '}
                  succeeded · {x.items.failed} failed · {x.items.open} open of {x.items.total}
                </dd>
              </>
            )}
            {x.parentExecutionId && (
              <>
                <dt>Item</dt>
                <dd>
                  #{x.itemIndex} of{' '}
                  <a href={href('executions', x.parentExecutionId)}>{x.parentExecutionId}</a>
                </dd>
              </>
            )}
            <dt>Pin</dt>
            <dd>
              {x.pipelineId} · contract {x.contractVersion} · release {x.releaseVersion}
            </dd>
            <dt>Step</dt>
            <dd>
              {x.stepId ?? '—'} (index {x.stepIndex}), attempt {x.attempt}
            </dd>
            <dt>Version</dt>
            <dd>{x.version}</dd>
            <dt>Created / updated</dt>
            <dd>
              {time(x.createdAtEpochMs)} / {time(x.updatedAtEpochMs)}
            </dd>
            {x.nextDueAtEpochMs !== null && (
              <>
                <dt>Next due</dt>
                <dd>{time(x.nextDueAtEpochMs)}</dd>
              </>
            )}
            {(x.errorCode || x.errorMessage) && (
              <>
                <dt>Error</dt>
                <dd class="error">
                  <code>{x.errorCode}</code> {x.errorMessage}
                  {x.dlqReason && <div>DLQ reason: {x.dlqReason}</div>}
                </dd>
              </>
            )}
          </dl>
          {x.errorStack && <pre class="stack">{x.errorStack}</pre>}
          <div class="actions">
            {!isTerminalStatus(x.status) && (
              <button type="button" onClick={cancel}>
                Cancel
              </button>
            )}
            {session.role === 'admin' && (x.status === 'DLQ' || x.status === 'FAILED') && (
              <RedriveForm
                client={client}
                execution={x}
                onDone={(text) => {
                  setNote(text);
                  status.refresh();
                  history.refresh();
                }}
              />
            )}
          </div>
          {actionError && <p class="error">{actionError}</p>}
          {note && <p class="ok">{note}</p>}
        </>
      )}
      <h2>Timeline</h2>
      {history.error && <p class="error">{history.error}</p>}
      <table data-testid="timeline">
        <thead>
          <tr>
            <th>#</th>
            <th>Time</th>
            <th>Event</th>
            <th>Step</th>
            <th>Payload</th>
          </tr>
        </thead>
        <tbody>
          {(history.data ?? []).map((e) => (
            <tr key={e.seq}>
              <td>{e.seq}</td>
              <td>{time(e.atEpochMs)}</td>
              <td class="event">{e.type}</td>
              <td>{e.stepId ?? ''}</td>
              <td>
                <details>
                  <summary>{preview(e.data)}</summary>
                  <pre>{pretty(e.data)}</pre>
                </details>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
