/**
 * In-process reader/writer locks keyed by name (bucket/object). Writers are exclusive; queued
 * writers block new readers so a steady read load cannot starve a write.
 */
interface LockState {
  readers: number;
  writer: boolean;
  queue: { write: boolean; grant: () => void }[];
}

import type { Locker, Release } from './locker.js';

export class NamespaceLock implements Locker {
  private readonly locks = new Map<string, LockState>();

  async lock(name: string, write: boolean): Promise<Release> {
    let state = this.locks.get(name);
    if (!state) {
      state = { readers: 0, writer: false, queue: [] };
      this.locks.set(name, state);
    }
    const s = state;
    const free = write ? !s.writer && s.readers === 0 : !s.writer && s.queue.length === 0;
    if (free) this.take(s, write);
    else await new Promise<void>((grant) => s.queue.push({ write, grant }));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (write) s.writer = false;
      else s.readers--;
      this.grantWaiting(name, s);
    };
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
