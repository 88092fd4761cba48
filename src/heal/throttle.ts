/**
 * Keeping healing out of the way of S3 traffic. The admin middleware counts requests in flight; the
 * heal workers pace themselves by it: between objects they sleep as long as the object took while
 * requests are running (so healing gets at most half the time under load, all of it when idle), and
 * between blocks of a large rebuild they yield to the event loop (and briefly sleep under load).
 */
import { setImmediate as yieldNow, setTimeout as sleep } from 'node:timers/promises';

export class Foreground {
  private inflight = 0;
  private lastSeen = 0;

  /** Wraps a foreground request. */
  enter(): () => void {
    this.inflight++;
    this.lastSeen = Date.now();
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.inflight--;
      this.lastSeen = Date.now();
    };
  }

  get active(): number {
    return this.inflight;
  }

  /** Requests are running, or ran in the last 50 ms (a client between two requests). */
  get busy(): boolean {
    return this.inflight > 0 || Date.now() - this.lastSeen < 50;
  }
}

/** Paces one heal worker. */
export class Pacer {
  constructor(
    private readonly foreground: Foreground,
    /** Fixed pause after every object. */
    private readonly delayMs: () => number,
  ) {}

  /** S3 requests are running (or just ran). */
  get busy(): boolean {
    return this.foreground.busy;
  }

  /** Between blocks of a rebuild. */
  readonly block = async (): Promise<void> => {
    if (this.foreground.busy) await sleep(1);
    else await yieldNow();
  };

  /** After an object that took `tookMs`; resolves early when `signal` aborts. */
  async afterObject(tookMs: number, signal?: AbortSignal): Promise<void> {
    let wait = this.delayMs();
    if (this.foreground.busy) wait += Math.min(tookMs, 1000);
    try {
      if (wait >= 1) await sleep(wait, undefined, { signal });
      else await yieldNow();
    } catch {
      // aborted
    }
  }
}

/** Sleeps `ms`, or less when `signal` aborts; never throws. */
export async function pause(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await sleep(ms, undefined, { signal });
  } catch {
    // aborted
  }
}
