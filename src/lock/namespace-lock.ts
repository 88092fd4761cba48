/**
 * In-process reader/writer locks keyed by name (bucket/object). Writers are exclusive; queued
 * writers block new readers so a steady read load cannot starve a write.
 */
import { ObjectLayerError } from '../object/errors.js';
import { LockActivities } from './activity.js';
import { nextFence } from './fence.js';
import type { Lease, Locker } from './locker.js';

interface Waiter {
  write: boolean;
  grant: () => void;
}

interface LockState {
  readers: number;
  writer: boolean;
  queue: Waiter[];
}

/** How long a request waits for a lock before it gives up with 'lock-timeout' (as the distributed locker does). */
const WAIT_MS = 20_000;

export class NamespaceLock implements Locker {
  private readonly locks = new Map<string, LockState>();
  readonly activity = new LockActivities();

  constructor(private readonly waitMs = WAIT_MS) {}

  /** Leases here never lapse: they live and die with the process, like everything they protect. */
  async lock(name: string, write: boolean): Promise<Lease> {
    let state = this.locks.get(name);
    if (!state) {
      state = { readers: 0, writer: false, queue: [] };
      this.locks.set(name, state);
    }
    const s = state;
    const free = write ? !s.writer && s.readers === 0 : !s.writer && s.queue.length === 0;
    const tracked = this.activity.begin(name, write);
    if (free) this.take(s, write);
    else await this.wait(name, s, write).catch((err: unknown) => {
      tracked.end();
      throw err;
    });
    tracked.granted();
    let released = false;
    return {
      fence: nextFence(),
      check: () => undefined,
      release: () => {
        if (released) return;
        released = true;
        tracked.end();
        if (write) s.writer = false;
        else s.readers--;
        this.grantWaiting(name, s);
      },
    };
  }

  private wait(name: string, s: LockState, write: boolean): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        s.queue.splice(s.queue.indexOf(waiter), 1);
        this.grantWaiting(name, s); // a writer that gave up no longer holds back the readers queued behind it
        reject(new ObjectLayerError('lock-timeout', { message: 'Timed out waiting for a lock on this object.' }));
      }, this.waitMs);
      const waiter: Waiter = {
        write,
        grant: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      s.queue.push(waiter);
    });
  }

  private take(s: LockState, write: boolean): void {
    if (write) s.writer = true;
    else s.readers++;
  }

  private grantWaiting(name: string, s: LockState): void {
    while (s.queue.length > 0) {
      const next = s.queue[0];
      if (next.write ? s.writer || s.readers > 0 : s.writer) break;
      s.queue.shift();
      this.take(s, next.write);
      next.grant();
      if (next.write) break;
    }
    if (!s.writer && s.readers === 0 && s.queue.length === 0) this.locks.delete(name);
  }
}
