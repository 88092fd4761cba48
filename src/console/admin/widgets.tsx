/** Pieces the administration screens share: running a change with its notice, status badges, lists of names. */
import type { ComponentChildren } from 'preact';
import { notify } from '../ui/notices.js';

/** Runs an action that changes something: says `done` when it worked, the error (with what failed) when not; then `after`. */
export async function act(what: string, action: () => Promise<unknown>, done?: string, after?: () => void): Promise<boolean> {
  try {
    await action();
    if (done) notify.info(done);
    return true;
  } catch (err) {
    notify.error(err, what);
    return false;
  } finally {
    after?.();
  }
}

export function StatusBadge({ status }: { status: 'enabled' | 'disabled' }) {
  return <span class={`badge ${status === 'enabled' ? 'ok' : 'bad'}`}>{status}</span>;
}

/** Names as small tags, or a dash. */
export function Names({ names, empty = '—' }: { names: string[]; empty?: string }) {
  if (names.length === 0) return <span class="muted">{empty}</span>;
  return (
    <span class="names">
      {names.map((n) => (
        <code key={n}>{n}</code>
      ))}
    </span>
  );
}

/** A tab's section: its heading, with the tab's controls beside it, over its content. */
export function ListSection({ id, title, tools, children }: { id: string; title: string; tools: ComponentChildren; children: ComponentChildren }) {
  return (
    <section class="stack" aria-labelledby={id}>
      <div class="toolbar">
        <h2 id={id} class="grow">
          {title}
        </h2>
        {tools}
      </div>
      {children}
    </section>
  );
}
