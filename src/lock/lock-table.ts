import { nextFence } from './fence.js';

/**
 * One node's share of the distributed lock service: which lock ids hold which names, until when.
 * Grants expire unless refreshed, so a holder that dies (or is paused) cannot block a name forever.
 */
interface Grant {
  expires: number;
  /** The node that asked (its host:port), so its grants can be dropped when it dies. */
  owner: string;
}

interface Holders {
  writer?: Grant & { uid: string };
  readers: Map<string, Grant>;
}

/** How long a released lock id is remembered, so that its acquire arriving late (after a timeout) is refused. */
const RELEASED_MEMORY_MS = 2 * 60_000;

export class LockTable {
  private readonly names = new Map<string, Holders>();
  private readonly released = new Map<string, number>();

  private holders(name: string, now: number): Holders {
    let h = this.names.get(name);
    if (!h) {
      h = { readers: new Map() };
      this.names.set(name, h);
    }
    if (h.writer && h.writer.expires <= now) h.writer = undefined;
    for (const [uid, grant] of h.readers) if (grant.expires <= now) h.readers.delete(uid);
    return h;
  }

  private tidy(name: string, h: Holders): void {
    if (!h.writer && h.readers.size === 0) this.names.delete(name);
  }

  /** Grants at once (the grant's fence number) or refuses at once (0); the caller retries. */
  acquire(name: string, uid: string, write: boolean, ttlMs: number, owner = ''): number {
    const now = Date.now();
    if (this.released.has(uid)) return 0;
    const h = this.holders(name, now);
    let granted = false;
    if (write && !h.writer && h.readers.size === 0) {
      h.writer = { uid, expires: now + ttlMs, owner };
      granted = true;
    } else if (!write && !h.writer) {
      h.readers.set(uid, { expires: now + ttlMs, owner });
      granted = true;
    }
    this.tidy(name, h);
    return granted ? nextFence() : 0;
  }

  /** Extends a grant; false when `uid` no longer holds `name` (it expired). */
  refresh(name: string, uid: string, ttlMs: number): boolean {
    const now = Date.now();
    const h = this.holders(name, now);
    let held = false;
    if (h.writer?.uid === uid) {
      h.writer.expires = now + ttlMs;
      held = true;
    } else if (h.readers.has(uid)) {
      h.readers.get(uid)!.expires = now + ttlMs;
      held = true;
    }
    this.tidy(name, h);
    return held;
  }

  release(name: string, uid: string): void {
    const now = Date.now();
    this.released.set(uid, now + RELEASED_MEMORY_MS);
    for (const [id, until] of this.released) {
      if (until > now) break;
      this.released.delete(id);
    }
    const h = this.holders(name, now);
    if (h.writer?.uid === uid) h.writer = undefined;
    h.readers.delete(uid);
    this.tidy(name, h);
  }

  /**
   * Drops every grant of a node that restarted, instead of waiting for them to expire. (Not of one
   * that merely stopped answering: it may be paused or cut off, and still believe it holds them.)
   */
  dropOwner(owner: string): void {
    for (const [name, h] of this.names) {
      if (h.writer?.owner === owner) h.writer = undefined;
      for (const [uid, grant] of h.readers) if (grant.owner === owner) h.readers.delete(uid);
      this.tidy(name, h);
    }
  }

  get size(): number {
    return this.names.size;
  }
}
