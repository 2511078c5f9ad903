import { useState } from 'preact/hooks';
import type { ExecutionStatus } from '../../../src/client/index.ts';
import { relative, time } from '../format.ts';
import { usePoll } from '../poll.ts';
import { href } from '../route.ts';
import type { PageProps } from './props.ts';
import { RedriveForm } from './redrive-form.tsx';

/** Executions that failed the same way at the same step: the failure fingerprint. */
const fingerprint = (x: ExecutionStatus) =>
  `${x.errorCode ?? 'no code'} @ ${x.stepId ?? `step ${x.stepIndex}`}`;

export function DlqPage({ client, session }: PageProps) {
  const dlq = usePoll(() => client.listPage({ status: 'DLQ', limit: 500 }), [client]);
  const [message, setMessage] = useState<string>();
  const redriven = (text: string) => {
    setMessage(text);
    dlq.refresh();
  };
  const groups = new Map<string, ExecutionStatus[]>();
  for (const x of dlq.data?.items ?? [])
    groups.set(fingerprint(x), [...(groups.get(fingerprint(x)) ?? []), x]);
  return (
    <section>
      <h1>Dead-letter queue</h1>
      {dlq.error && <p class="error">{dlq.error}</p>}
      {message && <p class="ok">{message}</p>}
      {dlq.data?.items.length === 0 && <p class="muted">The DLQ is empty.</p>}
      {dlq.data?.nextCursor && (
        <p class="muted">Showing the newest 500; filter on the Executions page for more.</p>
      )}
      {[...groups].map(([key, items]) => (
        <div class="group" key={key}>
          <h2>
            <code>{key}</code> <span class="badge s-DLQ">{items.length}</span>
          </h2>
          <table data-testid="dlq">
            <thead>
              <tr>
                <th>Execution</th>
                <th>Pipeline / release</th>
                <th>Reason</th>
                <th>Error</th>
                <th>Since</th>
                {session.role === 'admin' && <th>Re-drive</th>}
              </tr>
            </thead>
            <tbody>
              {items.map((x) => (
                <tr key={x.executionId}>
                  <td>
                    <a href={href('executions', x.executionId)}>{x.executionId}</a>
                  </td>
                  <td>
                    {x.pipelineId} / {x.releaseVersion}
                  </td>
                  <td>{x.dlqReason ?? ''}</td>
                  <td>
                    <code>{x.errorCode}</code> {x.errorMessage}
                  </td>
                  <td title={time(x.updatedAtEpochMs)}>{relative(x.updatedAtEpochMs)}</td>
                  {session.role === 'admin' && (
                    <td>
                      <RedriveForm client={client} execution={x} onDone={redriven} />
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ))}
      {session.role !== 'admin' && <p class="muted">Re-drive needs an admin token.</p>}
    </section>
  );
}
