/**
 * What an SDK error says about an operation's effect: a 4xx answer, or a connection refused before
 * anything was sent, means it had none (`fail`); a 5xx, a reset or a timeout leaves it `unknown`.
 */
import type { Outcome } from './history.js';

interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  cause?: { code?: string };
  $metadata?: { httpStatusCode?: number };
}

export interface Classified {
  outcome: Outcome;
  /** HTTP status, 0 without an answer. */
  status: number;
  /** e.g. `503 SlowDown` or `ECONNRESET`. */
  detail: string;
}

export function classify(err: unknown): Classified {
  const e = (err ?? {}) as SdkError;
  const status = e.$metadata?.httpStatusCode ?? 0;
  if (status > 0) return { outcome: status < 500 ? 'fail' : 'unknown', status, detail: `${status} ${e.name ?? ''}`.trim() };
  const code = e.code ?? e.cause?.code ?? e.name ?? 'Error';
  return { outcome: code === 'ECONNREFUSED' ? 'fail' : 'unknown', status: 0, detail: `${code}${e.message ? `: ${e.message.slice(0, 80)}` : ''}` };
}
