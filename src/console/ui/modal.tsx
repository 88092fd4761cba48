/**
 * Dialogs: a native <dialog> opened modal while mounted (Escape and the focus trap come with it; its
 * owner unmounts it on close); a form in one, with Cancel and a submit button and its failure shown
 * inside; and a confirmation before something that cannot be undone.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { describeError } from './errors.js';

export interface ModalProps {
  title: string;
  onClose: () => void;
  wide?: boolean;
  /** A × in the title bar as well as the dialog's own buttons. */
  closeButton?: boolean;
  /** The dialog's data-dialog attribute. */
  testId?: string;
  children: ComponentChildren;
}

export function Modal({ title, onClose, wide, closeButton, testId, children }: ModalProps) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);
  return (
    <dialog ref={ref} class={wide ? 'wide' : undefined} aria-label={title} data-dialog={testId} onClose={onClose}>
      <div class="dialog-body">
        {closeButton ? (
          <div class="dialog-title">
            <h2>{title}</h2>
            <button type="button" class="icon" aria-label="Close" onClick={onClose}>
              ×
            </button>
          </div>
        ) : (
          <h2>{title}</h2>
        )}
        {children}
      </div>
    </dialog>
  );
}

export interface FormModalProps extends Omit<ModalProps, 'children'> {
  submitLabel: string;
  /** The submit button's label while `submit` runs. */
  busyLabel?: string;
  danger?: boolean;
  disabled?: boolean;
  /** The submit button's data-action attribute. */
  submitAction?: string;
  /**
   * Closes the dialog unless it answers false (it said what went wrong itself); a failure it throws
   * stays in the dialog, in the words of `explain` or the error's own.
   */
  submit: () => Promise<boolean | void>;
  explain?: (error: unknown) => string | undefined;
  children: ComponentChildren;
}

export function FormModal({ submitLabel, busyLabel = 'Working…', danger, disabled, submitAction, submit, explain, children, ...modal }: FormModalProps) {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();
  const onSubmit = async (event: Event): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setProblem(undefined);
    let close = false;
    try {
      close = (await submit()) !== false;
    } catch (err) {
      setProblem(explain?.(err) ?? describeError(err));
    }
    setBusy(false);
    if (close) modal.onClose();
  };
  return (
    <Modal {...modal}>
      <form class="stack" onSubmit={onSubmit}>
        {children}
        {problem && (
          <p class="banner banner-error" role="alert">
            {problem}
          </p>
        )}
        <div class="actions">
          <button type="button" onClick={modal.onClose}>
            Cancel
          </button>
          <button type="submit" class={danger ? 'danger' : 'primary'} data-action={submitAction} disabled={busy || disabled}>
            {busy ? busyLabel : submitLabel}
          </button>
        </div>
      </form>
    </Modal>
  );
}

/** Asks before `onConfirm` runs (see FormModal's submit for how it ends); `message` says what goes. */
export function Confirm({ message, confirmLabel = 'Delete', onConfirm, ...rest }: Omit<FormModalProps, 'submitLabel' | 'submit' | 'children' | 'testId' | 'danger'> & {
  message: ComponentChildren;
  confirmLabel?: string;
  onConfirm: () => Promise<boolean | void>;
}) {
  return (
    <FormModal {...rest} testId="confirm" danger submitLabel={confirmLabel} submitAction="confirm" submit={onConfirm}>
      {message}
    </FormModal>
  );
}
