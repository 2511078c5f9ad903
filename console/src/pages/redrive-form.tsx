import { useState } from 'preact/hooks';
import type { CapstanClient, ExecutionStatus } from '../../../src/client/index.ts';
import { messageOf } from '../session.ts';

/** Re-drive (admin): refused unless the execution is still at the expected version. */
export function RedriveForm(props: {
  client: CapstanClient;
  execution: ExecutionStatus;
  onDone: (message: string) => void;
}) {
  const { execution } = props;
  const [version, setVersion] = useState(String(execution.version));
  const [reason, setReason] = useState('');
  const [message, setMessage] = useState<string>();
  const submit = (event: Event) => {
    event.preventDefault();
    props.client
      .redrive(execution.executionId, {
        expectedVersion: Number(version),
        reason: reason || undefined,
        allowFailed: execution.status === 'FAILED' || undefined,
      })
      .then(
        // The page shows it: this form may leave the page with the execution's old status.
        (r) =>
          props.onDone(
            `Re-driven ${r.executionId}: ${r.previousStatus} → ${r.status} (version ${r.version})`,
          ),
        (e: unknown) => setMessage(messageOf(e)),
      );
  };
  return (
    <form class="redrive" onSubmit={submit}>
      <label>
        Expected version
        <input name="expectedVersion" value={version} onInput={(e) => setVersion(e.currentTarget.value)} />
      </label>
      <label>
        Reason
        <input name="reason" value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
      </label>
      <button type="submit">Re-drive</button>
      {message && <span class="note">{message}</span>}
    </form>
  );
}
