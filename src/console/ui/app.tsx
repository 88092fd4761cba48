/** The console: the login page until the user has a session, then the shell; back to login when it ends. */
import { useEffect, useState } from 'preact/hooks';
import { endSession, loadSession, onSessionEnd, type Session } from '../api/session.js';
import { Login } from './login.js';
import { Shell } from './shell.js';

export function App() {
  const [session, setSession] = useState<Session | undefined>(loadSession);
  const [ended, setEnded] = useState<string>();
  useEffect(
    () =>
      onSessionEnd((reason) => {
        setEnded(reason);
        setSession(undefined);
      }),
    [],
  );
  useEffect(() => {
    if (!session) return;
    // Back to the login page when the session's time is up, even with nothing being clicked; the keys forgotten.
    const timer = setTimeout(() => endSession('Your session has expired. Log in again.'), Math.max(0, session.expiresAt - Date.now()));
    return () => clearTimeout(timer);
  }, [session]);
  if (!session)
    return (
      <Login
        reason={ended}
        onLogin={(s) => {
          setEnded(undefined);
          setSession(s);
        }}
      />
    );
  return <Shell session={session} />;
}
