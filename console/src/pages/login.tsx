import { useState } from 'preact/hooks';
import { logIn, messageOf, type Session } from '../session.ts';

export function LoginPage({ onLogin }: { onLogin: (session: Session) => void }) {
  const [token, setToken] = useState('');
  const [tenant, setTenant] = useState('default');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    logIn(token.trim(), tenant.trim() || 'default').then(onLogin, (e: unknown) => {
      setError(messageOf(e));
      setBusy(false);
    });
  };
  return (
    <form class="login" onSubmit={submit}>
      <h1>Capstan console</h1>
      <p>Log in with an operator or admin token (the banner of `capstan serve` prints them).</p>
      <label>
        Token
        <input
          name="token"
          type="password"
          autoComplete="off"
          value={token}
          onInput={(e) => setToken(e.currentTarget.value)}
        />
      </label>
      <label>
        Tenant
        <input name="tenant" value={tenant} onInput={(e) => setTenant(e.currentTarget.value)} />
      </label>
      <button type="submit" disabled={busy || token.trim() === ''}>
        Log in
      </button>
      {error && <p class="error">{error}</p>}
    </form>
  );
}
