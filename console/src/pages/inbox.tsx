import { useState } from 'preact/hooks';
import type { Completion, Interaction } from '../../../src/client/index.ts';
import { pretty, relative, time } from '../format.ts';
import { usePoll } from '../poll.ts';
import { href } from '../route.ts';
import { messageOf } from '../session.ts';
import type { PageProps } from './props.ts';

/** The request's identifying fields (`orderId`, `requestId`…), carried into a response template. */
function idsOf(request: unknown): Record<string, unknown> {
  if (typeof request !== 'object' || request === null) return {};
  return Object.fromEntries(Object.entries(request).filter(([key]) => /Id$/.test(key)));
}

/**
 * Response templates for the approve/decline convention (`{accepted: …}` / `{declined: …}`, as
 * in the restaurant example); the JSON is editable, and the pipeline's response schema decides.
 */
export const templates = {
  approve: (i: Interaction) => ({
    accepted: { ...idsOf(i.requestPayload), decidedAt: new Date().toISOString() },
  }),
  decline: (i: Interaction) => ({
    declined: { ...idsOf(i.requestPayload), decidedAt: new Date().toISOString(), declineReason: '' },
  }),
};

export function InboxPage({ client, session }: PageProps) {
  const [filter, setFilter] = useState({ assignee: '', group: '', stepId: '' });
  const inbox = usePoll(
    () =>
      client.pendingInteractions({
        assignee: filter.assignee || undefined,
        group: filter.group || undefined,
        stepId: filter.stepId || undefined,
        limit: 500,
      }),
    [client, filter],
  );
  const [open, setOpen] = useState<Interaction>();
  const items = [...(inbox.data ?? [])].sort((a, b) => a.deadlineEpochMs - b.deadlineEpochMs);
  const set = (key: keyof typeof filter) => (e: { currentTarget: { value: string } }) =>
    setFilter({ ...filter, [key]: e.currentTarget.value });
  return (
    <section>
      <h1>Interaction inbox</h1>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Assignee <input name="assignee" value={filter.assignee} onChange={set('assignee')} />
        </label>
        <label>
          Group <input name="group" value={filter.group} onChange={set('group')} />
        </label>
        <label>
          Step <input name="stepId" value={filter.stepId} onChange={set('stepId')} />
        </label>
      </form>
      {inbox.error && <p class="error">{inbox.error}</p>}
      <table data-testid="inbox">
        <thead>
          <tr>
            <th>Deadline</th>
            <th>Execution</th>
            <th>Step</th>
            <th>Group</th>
            <th>Assignee</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {items.map((i) => (
            <tr key={i.interactionId} class={open?.interactionId === i.interactionId ? 'selected' : ''}>
              <td title={time(i.deadlineEpochMs)}>{relative(i.deadlineEpochMs)}</td>
              <td>
                <a href={href('executions', i.executionId)}>{i.executionId}</a>
              </td>
              <td>{i.stepId}</td>
              <td>{i.group ?? ''}</td>
              <td>{i.assignee ?? ''}</td>
              <td>
                <button type="button" onClick={() => setOpen(i)}>
                  Open
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {inbox.data?.length === 0 && <p class="muted">Nothing waits for an answer.</p>}
      {open && (
        <AnswerForm
          key={open.interactionId}
          interaction={open}
          onAnswer={(response) =>
            client.complete({ interactionId: open.interactionId, response, actor: `console:${session.role}` })
          }
          onDone={inbox.refresh}
        />
      )}
    </section>
  );
}

function AnswerForm(props: {
  interaction: Interaction;
  onAnswer: (response: unknown) => Promise<Completion>;
  onDone: () => void;
}) {
  const i = props.interaction;
  const [text, setText] = useState(pretty(templates.approve(i)));
  const [result, setResult] = useState<string>();
  const [error, setError] = useState<string>();
  const send = (event: Event) => {
    event.preventDefault();
    let response: unknown;
    try {
      response = JSON.parse(text);
    } catch {
      setError('The response is not valid JSON.');
      return;
    }
    setError(undefined);
    props.onAnswer(response).then(
      (c) => {
        setResult(`${c.status}${c.duplicate ? ' (duplicate)' : ''}: execution ${c.executionId} resumes.`);
        props.onDone();
      },
      (e: unknown) => setError(messageOf(e)),
    );
  };
  return (
    <form class="answer" onSubmit={send} data-testid="answer">
      <h2>
        {i.stepId} · <a href={href('executions', i.executionId)}>{i.executionId}</a>
      </h2>
      <p class="muted">
        Deadline {time(i.deadlineEpochMs)} ({relative(i.deadlineEpochMs)}) · correlation {i.correlationId}
      </p>
      <h3>Request</h3>
      <pre>{pretty(i.requestPayload)}</pre>
      <h3>Response</h3>
      <div class="actions">
        <button type="button" onClick={() => setText(pretty(templates.approve(i)))}>
          Approve template
        </button>
        <button type="button" onClick={() => setText(pretty(templates.decline(i)))}>
          Decline template
        </button>
      </div>
      <textarea name="response" rows={10} value={text} onInput={(e) => setText(e.currentTarget.value)} />
      <button type="submit" disabled={result !== undefined}>
        Send response
      </button>
      {result && (
        <p class="ok" data-testid="result">
          {result}
        </p>
      )}
      {error && <p class="error">{error}</p>}
    </form>
  );
}
