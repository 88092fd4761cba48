/**
 * Locks across nodes: a write lock needs grants from a majority of nodes, a read lock from half of
 * them (so reads keep working with half the nodes down, like the data's read quorum). Grants are
 * refreshed while held and expire when the holder stops refreshing.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ObjectLayerError } from '../object/errors.js';
import { LockActivities } from './activity.js';
import type { LockTable } from './lock-table.js';
import type { Lease, Locker } from './locker.js';

/** A grant lasts this long unless refreshed; holders refresh at a third of it. */
export const LOCK_TTL_MS = 15_000;
/** Give up ('lock-timeout') when a lock cannot be had within this time. */
const ACQUIRE_TIMEOUT_MS = 20_000;

/** One node's lock service, local or over RPC. */
export interface LockNode {
  isOnline(): boolean;
  /** The grant's fence number, or 0 when refused. `owner` is the asking node, whose grants go when it restarts. */
  acquire(name: string, uid: string, write: boolean, ttlMs: number, owner: string): Promise<number>;
  refresh(name: string, uid: string, ttlMs: number): Promise<boolean>;
  release(name: string, uid: string): Promise<void>;
}

export function localLockNode(table: LockTable): LockNode {
  return {
    isOnline: () => true,
    acquire: async (name, uid, write, ttl, owner) => table.acquire(name, uid, write, ttl, owner),
    refresh: async (name, uid, ttl) => table.refresh(name, uid, ttl),
    release: async (name, uid) => table.release(name, uid),
  };
}

export class DistributedLocker implements Locker {
  readonly activity = new LockActivities();

  constructor(
    private readonly nodes: LockNode[],
    /** This node's host:port, recorded with its grants. */
    private readonly self: string,
    private readonly ttlMs = LOCK_TTL_MS,
  ) {}

  private quorum(write: boolean): number {
    return write ? Math.floor(this.nodes.length / 2) + 1 : Math.ceil(this.nodes.length / 2);
  }

  async lock(name: string, write: boolean): Promise<Lease> {
    const tracked = this.activity.begin(name, write);
    try {
      const lease = await this.acquire(name, write);
      tracked.granted();
      return {
        fence: lease.fence,
        check: () => lease.check(),
        release: () => {
          tracked.end();
          lease.release();
        },
      };
    } catch (err) {
      tracked.end();
      throw err;
    }
  }

  private async acquire(name: string, write: boolean): Promise<Lease> {
    const quorum = this.quorum(write);
    const deadline = Date.now() + ACQUIRE_TIMEOUT_MS;
    for (let attempt = 0; ; attempt++) {
      if (this.nodes.filter((n) => n.isOnline()).length < quorum) {
        throw new ObjectLayerError(write ? 'write-quorum' : 'read-quorum', { message: 'Not enough nodes are online to lock this object.' });
      }
      // A fresh id per attempt: the nodes refuse an id once released, so a late grant cannot linger.
      const uid = randomUUID();
      const asked = Date.now();
      const fences = await Promise.all(
        this.nodes.map((n) => (n.isOnline() ? n.acquire(name, uid, write, this.ttlMs, this.self).catch(() => 0) : Promise.resolve(0))),
      );
      const granted = fences.map((fence) => fence > 0);
      if (granted.filter(Boolean).length >= quorum) return this.hold(name, uid, write, granted, Math.max(...fences), asked);
      // Release everywhere, not only where granted: an acquire that timed out may still land later.
      await Promise.all(this.nodes.map((n) => (n.isOnline() ? n.release(name, uid).catch(() => undefined) : undefined)));
      if (Date.now() > deadline) throw new ObjectLayerError('lock-timeout', { message: 'Timed out waiting for a lock on this object.' });
      // Back off with jitter so two contenders do not keep splitting the nodes between them.
      await sleep(Math.min(5 * 2 ** Math.min(attempt, 8), 1_000) * (0.5 + Math.random()));
    }
  }

  /**
   * Keeps the grants alive. The holder counts its lease from when it *asked* (a grant cannot start
   * earlier), and only as long as refreshes keep being confirmed by a quorum; it stops trusting it a
   * third of a lease before the nodes could let it go, which leaves room for a commit in flight.
   */
  private hold(name: string, uid: string, write: boolean, granted: boolean[], fence: number, asked: number): Lease {
    const quorum = this.quorum(write);
    const trustMs = (this.ttlMs * 2) / 3;
    let trustedUntil = asked + trustMs;
    let lost = false;
    const refresher = setInterval(() => {
      const sent = Date.now();
      void Promise.all(this.nodes.map((node, i) => (granted[i] ? node.refresh(name, uid, this.ttlMs).catch(() => false) : false))).then((held) => {
        if (held.filter(Boolean).length >= quorum) trustedUntil = Math.max(trustedUntil, sent + trustMs);
        else lost = true;
      });
    }, this.ttlMs / 3);
    refresher.unref();
    let released = false;
    return {
      fence,
      check: () => {
        if (lost || Date.now() >= trustedUntil) {
          throw new ObjectLayerError(write ? 'write-quorum' : 'read-quorum', { message: 'The lock on this object lapsed before the operation could finish.' });
        }
      },
      release: () => {
        if (released) return;
        released = true;
        clearInterval(refresher);
        for (const node of this.nodes) if (node.isOnline()) void node.release(name, uid).catch(() => undefined);
      },
    };
  }
}
