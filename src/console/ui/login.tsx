/** The login page: an access key and its secret, checked against the server before the session starts. */
import { useEffect, useState } from 'preact/hooks';
import { errorOf } from '../api/http.js';
import { saveSession, SESSION_MS, type Session } from '../api/session.js';
import { signHeaders } from '../api/signer.js';

/** The server's region, for signing (the console's config.json; us-east-1 if it cannot be read). */
async function serverRegion(): Promise<string> {
  try {
    const config = (await (await fetch('config.json', { cache: 'no-store' })).json()) as { region?: string };
    return config.region || 'us-east-1';
  } catch {
    return 'us-east-1';
  }
}

/** Why the keys cannot log in, or undefined when the server took them (a refusal to list buckets still proves them). */
async function checkKeys(session: Session): Promise<string | undefined> {
  const response = await fetch('/', { headers: await signHeaders(session, { method: 'GET', path: '/' }), cache: 'no-store' });
  if (response.ok) return undefined;
  const error = await errorOf(response);
  if (error.code === 'AccessDenied') return undefined;
  if (error.code === 'InvalidAccessKeyId' || error.code === 'SignatureDoesNotMatch') return 'The access key or the secret key is wrong.';
  return error.describe();
}

export function Login({ reason, onLogin }: { reason?: string; onLogin: (session: Session) => void }) {
  const [accessKey, setAccessKey] = useState('');
  const [secretKey, setSecretKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();
  const [region, setRegion] = useState('us-east-1');
  useEffect(() => void serverRegion().then(setRegion), []);

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setProblem(undefined);
    const session: Session = { accessKey: accessKey.trim(), secretKey, region, expiresAt: Date.now() + SESSION_MS };
    try {
      const refusal = await checkKeys(session);
      if (refusal) {
        setProblem(refusal);
        return;
      }
      saveSession(session);
      onLogin(session);
    } catch (err) {
      setProblem(`The server cannot be reached: ${(err as Error).message}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="login">
      <form class="card login-card" onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title" class="brand">
          <span class="logo" aria-hidden="true" /> Tessera
        </h1>
        {reason && <p class="banner banner-warn">{reason}</p>}
        <label>
          Access key
          <input name="accessKey" autocomplete="username" required value={accessKey} onInput={(e) => setAccessKey(e.currentTarget.value)} />
        </label>
        <label>
          Secret key
          <input name="secretKey" type="password" autocomplete="current-password" required value={secretKey} onInput={(e) => setSecretKey(e.currentTarget.value)} />
        </label>
        {problem && (
          <p class="banner banner-error" role="alert">
            {problem}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Checking…' : 'Log in'}
        </button>
        <p class="hint">The keys stay in this tab: requests are signed here, and the keys are forgotten when the tab closes or you log out.</p>
      </form>
    </main>
  );
}
