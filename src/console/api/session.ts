/**
 * The logged-in user: the keys they typed, kept only in this tab's sessionStorage (never in a cookie
 * or a URL, never sent: requests carry signatures made with them), and until when the session lasts.
 */
export interface Session {
  accessKey: string;
  secretKey: string;
  region: string;
  /** Milliseconds since the epoch; the console returns to the login page after it. */
  expiresAt: number;
}

const KEY = 'tessera.session';
/** How long a login lasts in a tab (as MinIO's console sessions, 12 hours). */
export const SESSION_MS = 12 * 3600_000;

/** The tab's session, if it has one still valid; an expired or damaged one is forgotten. */
export function loadSession(): Session | undefined {
  try {
    const saved = JSON.parse(sessionStorage.getItem(KEY) ?? 'null') as Session | null;
    if (saved && typeof saved.accessKey === 'string' && typeof saved.secretKey === 'string' && saved.expiresAt > Date.now()) return saved;
  } catch {
    // not JSON: forgotten below
  }
  clearSession();
  return undefined;
}

export function saveSession(session: Session): void {
  sessionStorage.setItem(KEY, JSON.stringify(session));
}

export function clearSession(): void {
  sessionStorage.removeItem(KEY);
}

type Listener = (reason: string) => void;
const listeners = new Set<Listener>();

/** Ends the session (expired, or its keys refused): the app goes back to the login page saying why. */
export function endSession(reason: string): void {
  clearSession();
  for (const listener of listeners) listener(reason);
}

export function onSessionEnd(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
