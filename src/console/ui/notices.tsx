/** Messages for the user (an action done, an error), shown at the bottom of the page for a while. */
import { useEffect, useState } from 'preact/hooks';
import { describeError } from './errors.js';

export interface Notice {
  id: number;
  kind: 'info' | 'error';
  text: string;
}

let nextId = 1;
const listeners = new Set<(notices: Notice[]) => void>();
let current: Notice[] = [];

function publish(notices: Notice[]): void {
  current = notices;
  for (const listener of listeners) listener(current);
}

function add(kind: Notice['kind'], text: string): void {
  const notice = { id: nextId++, kind, text };
  publish([...current.slice(-4), notice]);
  setTimeout(() => dismiss(notice.id), kind === 'error' ? 12_000 : 5_000);
}

export function dismiss(id: number): void {
  publish(current.filter((n) => n.id !== id));
}

export const notify = {
  info: (text: string): void => add('info', text),
  /** An error from any call: an ApiError says what failed and why; anything else its message. */
  error: (err: unknown, what?: string): void => add('error', what ? `${what}: ${describeError(err)}` : describeError(err)),
};

export function Notices() {
  const [notices, setNotices] = useState(current);
  useEffect(() => {
    listeners.add(setNotices);
    return () => void listeners.delete(setNotices);
  }, []);
  return (
    <div class="notices" role="status" aria-live="polite">
      {notices.map((n) => (
        <div key={n.id} class={`notice notice-${n.kind}`}>
          <span>{n.text}</span>
          <button type="button" class="icon" aria-label="Dismiss" onClick={() => dismiss(n.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
