/** Pieces the administration screens share: data loading, modal dialogs, a confirmation, status badges. */
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../api/http.js';
import { notify } from '../ui/notices.js';

export interface Loaded<T> {
  data: T | undefined;
  /** The last load's error (the data shown stays as it was). */
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/** Calls `load` now and on reload(); keeps the last data while a reload runs, so the page holds still. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(true);
  const [round, setRound] = useState(0);
  useEffect(() => {
    let current = true;
    setLoading(true);
    load().then(
      (value) => {
        if (!current) return;
        setData(value);
        setError(undefined);
        setLoading(false);
      },
      (err: unknown) => {
        if (!current) return;
        setError(err);
        setLoading(false);
      },
    );
    return () => void (current = false);
  }, [...deps, round]);
  return { data, error, loading, reload: useCallback(() => setRound((n) => n + 1), []) };
}

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

/** A native modal <dialog>, open while mounted: Escape and the Cancel buttons call onClose. */
export function Modal({ title, onClose, wide, children }: { title: string; onClose: () => void; wide?: boolean; children: ComponentChildren }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current!;
    dialog.showModal();
    const closed = (): void => onClose();
    dialog.addEventListener('close', closed);
    return () => {
      dialog.removeEventListener('close', closed);
      if (dialog.open) dialog.close();
    };
  }, []);
  return (
    <dialog ref={ref} class={wide ? 'wide' : undefined} aria-label={title}>
      <div class="dialog-body">
        <h2>{title}</h2>
        {children}
      </div>
    </dialog>
  );
}

/** A form in a Modal with Cancel and a submit button; `submit` answers whether to close. */
export function FormModal(props: { title: string; submitLabel: string; danger?: boolean; wide?: boolean; disabled?: boolean; onClose: () => void; submit: () => Promise<boolean>; children: ComponentChildren }) {
  const [busy, setBusy] = useState(false);
  const onSubmit = async (event: Event): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    const close = await props.submit();
    setBusy(false);
    if (close) props.onClose();
  };
  return (
    <Modal title={props.title} onClose={props.onClose} wide={props.wide}>
      <form class="stack" onSubmit={onSubmit}>
        {props.children}
        <div class="actions">
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class={props.danger ? 'danger' : 'primary'} disabled={busy || props.disabled}>
            {busy ? 'Working…' : props.submitLabel}
          </button>
        </div>
      </form>
    </Modal>
  );
}

/** Asks before something that cannot be undone. */
export function Confirm({ title, text, action, onClose }: { title: string; text: ComponentChildren; action: () => Promise<boolean>; onClose: () => void }) {
  return (
    <FormModal title={title} submitLabel="Delete" danger onClose={onClose} submit={action}>
      <p>{text}</p>
    </FormModal>
  );
}

export function StatusBadge({ status }: { status: 'enabled' | 'disabled' }) {
  return <span class={`badge ${status === 'enabled' ? 'ok' : 'bad'}`}>{status}</span>;
}

export function describeError(error: unknown): string {
  return error instanceof ApiError ? error.describe() : error instanceof Error ? error.message : String(error);
}

/** A refused or failed load, said where the data would be. */
export function LoadError({ error, what }: { error: unknown; what: string }) {
  if (!error) return null;
  return (
    <p class="banner banner-error" role="alert">
      {what}: {describeError(error)}
    </p>
  );
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

/** A control that copies `text`, saying so. */
export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  return (
    <button
      type="button"
      onClick={() =>
        navigator.clipboard.writeText(text).then(
          () => notify.info('Copied.'),
          () => notify.info('The browser did not allow copying: select the text and copy it.'),
        )
      }
    >
      {label}
    </button>
  );
}
