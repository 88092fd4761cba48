/**
 * The object browser's dialogs: a native <dialog> opened modal (Escape and the backdrop's focus trap
 * come with it), unmounted by its owner on close; and a confirmation with the failure shown inside.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../api/http.js';

export function Modal({ title, onClose, wide, children, testId }: { title: string; onClose: () => void; wide?: boolean; children: ComponentChildren; testId?: string }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);
  return (
    <dialog ref={ref} class={wide ? 'wide' : undefined} aria-label={title} data-dialog={testId} onClose={onClose}>
      <div class="dialog-body">
        <div class="dialog-title">
          <h2>{title}</h2>
          <button type="button" class="icon" aria-label="Close" onClick={onClose}>
            ×
          </button>
        </div>
        {children}
      </div>
    </dialog>
  );
}

/** Asks before `action` runs; a failure stays in the dialog, in words (`explain` may word known codes). */
export function Confirm({ title, message, confirmLabel, onConfirm, onClose, explain }: {
  title: string;
  message: ComponentChildren;
  confirmLabel: string;
  onConfirm: () => Promise<void>;
  onClose: () => void;
  explain?: (error: ApiError) => string | undefined;
}) {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();
  const confirm = async (): Promise<void> => {
    setBusy(true);
    setProblem(undefined);
    try {
      await onConfirm();
      onClose();
    } catch (err) {
      setProblem(err instanceof ApiError ? (explain?.(err) ?? err.describe()) : (err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal title={title} onClose={onClose} testId="confirm">
      <div>{message}</div>
      {problem && (
        <p class="banner banner-error" role="alert">
          {problem}
        </p>
      )}
      <div class="actions">
        <button type="button" onClick={onClose}>
          Cancel
        </button>
        <button type="button" class="danger" data-action="confirm" disabled={busy} onClick={() => void confirm()}>
          {busy ? 'Working…' : confirmLabel}
        </button>
      </div>
    </Modal>
  );
}
