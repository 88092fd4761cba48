/**
 * Reading something for a page: now, again on reload() or when `deps` change, and (with `everyMs`)
 * again that long after each answer. The last data stays on screen while the next is read and when a
 * read fails, so the page holds still; the failure is kept (and, with `notify`, told once per run of
 * failures).
 */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { notify as tell } from './notices.js';

export interface Loaded<T> {
  data?: T;
  /** The last read's error (the data shown is from before). */
  error?: unknown;
  /** No answer yet since the last reload or change of `deps`. */
  loading: boolean;
  /** When `data` was read (ms since the epoch). */
  updated?: number;
  reload: () => void;
}

export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[], { everyMs, notify }: { everyMs?: number; notify?: string } = {}): Loaded<T> {
  const [state, setState] = useState<Omit<Loaded<T>, 'reload'>>({ loading: true });
  const [round, setRound] = useState(0);
  useEffect(() => {
    const stop = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let failing = false;
    setState((s) => ({ ...s, loading: true }));
    const read = async (): Promise<void> => {
      try {
        const data = await load(stop.signal);
        if (stop.signal.aborted) return;
        failing = false;
        setState({ data, loading: false, updated: Date.now() });
      } catch (error) {
        if (stop.signal.aborted) return;
        if (notify && !failing) tell.error(error, notify);
        failing = true;
        setState((s) => ({ ...s, error, loading: false }));
      }
      if (everyMs !== undefined) timer = setTimeout(() => void read(), everyMs);
    };
    void read();
    return () => {
      stop.abort();
      clearTimeout(timer);
    };
  }, [...deps, everyMs, notify, round]);
  return { ...state, reload: useCallback(() => setRound((n) => n + 1), []) };
}
