/**
 * Reading something again and again: the first load at once, the next `everyMs` after each answer;
 * the last data stays on screen while the next is read and when a read fails (the failure is kept,
 * and told once per run of failures).
 */
import { useEffect, useState } from 'preact/hooks';
import { notify } from '../ui/notices.js';

export interface Polled<T> {
  data?: T;
  /** The last read failed (the data is from before). */
  error?: unknown;
  /** When `data` was read (ms since the epoch). */
  updated?: number;
}

export function usePoll<T>(load: (signal: AbortSignal) => Promise<T>, everyMs: number, what: string): Polled<T> {
  const [polled, setPolled] = useState<Polled<T>>({});
  useEffect(() => {
    const stop = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let failing = false;
    const read = async (): Promise<void> => {
      try {
        const data = await load(stop.signal);
        failing = false;
        setPolled({ data, updated: Date.now() });
      } catch (error) {
        if (stop.signal.aborted) return;
        if (!failing) notify.error(error, what);
        failing = true;
        setPolled((p) => ({ ...p, error }));
      }
      if (!stop.signal.aborted) timer = setTimeout(() => void read(), everyMs);
    };
    void read();
    return () => {
      stop.abort();
      clearTimeout(timer);
    };
  }, [everyMs, what]);
  return polled;
}
