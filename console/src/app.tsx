import { useState } from 'preact/hooks';
import { ClusterPage } from './pages/cluster.tsx';
import { DlqPage } from './pages/dlq.tsx';
import { ExecutionPage } from './pages/execution.tsx';
import { ExecutionsPage } from './pages/executions.tsx';
import { InboxPage } from './pages/inbox.tsx';
import { LoginPage } from './pages/login.tsx';
import { ReleasesPage } from './pages/releases.tsx';
import { WorkersPage } from './pages/workers.tsx';
import { href, useRoute } from './route.ts';
import { clientOf, loadSession, saveSession, type Session } from './session.ts';

const NAV = [
  ['executions', 'Executions'],
  ['inbox', 'Inbox'],
  ['dlq', 'DLQ'],
  ['releases', 'Releases'],
  ['workers', 'Workers'],
  ['cluster', 'Cluster'],
] as const;

export function App() {
  const [session, setSession] = useState(loadSession);
  const route = useRoute();
  if (!session) {
    return (
      <LoginPage
        onLogin={(s: Session) => {
          saveSession(s);
          setSession(s);
        }}
      />
    );
  }
  const client = clientOf(session);
  const props = { client, session };
  const page =
    route.page === 'executions' && route.id ? (
      <ExecutionPage {...props} executionId={route.id} />
    ) : route.page === 'inbox' ? (
      <InboxPage {...props} />
    ) : route.page === 'dlq' ? (
      <DlqPage {...props} />
    ) : route.page === 'releases' ? (
      <ReleasesPage {...props} />
    ) : route.page === 'workers' ? (
      <WorkersPage {...props} />
    ) : route.page === 'cluster' ? (
      <ClusterPage {...props} />
    ) : (
      <ExecutionsPage {...props} />
    );
  return (
    <div class="shell">
      <header>
        <strong>Capstan</strong>
        <nav>
          {NAV.map(([page, label]) => (
            <a key={page} href={href(page)} class={route.page === page ? 'active' : ''}>
              {label}
            </a>
          ))}
        </nav>
        <span class="who" data-role={session.role}>
          {session.role} · tenant {session.tenant}
        </span>
        <button
          type="button"
          onClick={() => {
            saveSession(undefined);
            setSession(undefined);
          }}
        >
          Log out
        </button>
      </header>
      <main>{page}</main>
    </div>
  );
}
