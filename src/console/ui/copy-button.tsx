/** A control that copies some text, saying so; where the browser refuses, it selects the text to copy by hand. */
import { notify } from './notices.js';

export function CopyButton({ text, label = 'Copy', what, select, action }: {
  text: string;
  label?: string;
  /** What is copied, for the notice (`Link copied.`). */
  what?: string;
  /** The element showing the text, selected when the browser does not allow copying. */
  select?: () => HTMLInputElement | null;
  /** The button's data-action attribute. */
  action?: string;
}) {
  const copy = async (): Promise<void> => {
    try {
      await navigator.clipboard.writeText(text);
      notify.info(what ? `${what} copied.` : 'Copied.');
    } catch {
      // No clipboard access (an insecure origin, a headless browser).
      const input = select?.();
      if (input) {
        input.select();
        notify.info(`${what ?? 'Text'} selected: copy it with Ctrl+C.`);
      } else notify.info('The browser did not allow copying: select the text and copy it.');
    }
  };
  return (
    <button type="button" data-action={action} onClick={() => void copy()}>
      {label}
    </button>
  );
}
