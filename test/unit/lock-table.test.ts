import { describe, expect, it, vi } from 'vitest';
import { DistributedLocker, localLockNode, type LockNode } from '../../src/lock/distributed-lock.js';
import { LockTable } from '../../src/lock/lock-table.js';

describe('lock table', () => {
  it('grants one writer or many readers, and expires grants that are not refreshed', () => {
    vi.useFakeTimers();
    try {
      const t = new LockTable();
      expect(t.acquire('k', 'r1', false, 1000)).toBeGreaterThan(0);
      expect(t.acquire('k', 'r2', false, 1000)).toBeGreaterThan(0);
      expect(t.acquire('k', 'w1', true, 1000)).toBe(0);
      t.release('k', 'r1');
      vi.advanceTimersByTime(600);
      expect(t.refresh('k', 'r2', 1000)).toBe(true);
      vi.advanceTimersByTime(600);
      expect(t.acquire('k', 'w1', true, 1000)).toBe(0);
      vi.advanceTimersByTime(500);
      // r2 stopped refreshing: its grant is gone and the writer gets in.
      expect(t.acquire('k', 'w1', true, 1000)).toBeGreaterThan(0);
      expect(t.refresh('k', 'r2', 1000)).toBe(false);
      expect(t.acquire('k', 'r3', false, 1000)).toBe(0);
      t.release('k', 'w1');
      expect(t.size).toBe(0);
      // An acquire that arrives after its release (it timed out at the caller) is refused.
      t.release('late', 'x1');
      expect(t.acquire('late', 'x1', true, 1000)).toBe(0);
      expect(t.acquire('late', 'x2', true, 1000)).toBeGreaterThan(0);
      // A node seen restarted loses its grants at once.
      expect(t.acquire('held', 'd1', true, 60_000, 'dead:1')).toBeGreaterThan(0);
      t.dropOwner('dead:1');
      expect(t.acquire('held', 'd2', true, 1000, 'alive:2')).toBeGreaterThan(0);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('distributed locker', () => {
  const offline: LockNode = {
    isOnline: () => false,
    acquire: async () => 0,
    refresh: async () => false,
    release: async () => undefined,
  };

  it('needs a majority of nodes for a write lock and half of them for a read lock', async () => {
    const tables = [new LockTable(), new LockTable()];
    const locker = new DistributedLocker([localLockNode(tables[0]), localLockNode(tables[1]), offline, offline], 'n1');
    const read = await locker.lock('obj', false);
    read.release();
    await expect(locker.lock('obj', true)).rejects.toMatchObject({ kind: 'write-quorum' });
  });

  it('excludes a second writer across nodes until the first releases', async () => {
    const nodes = [new LockTable(), new LockTable(), new LockTable()].map(localLockNode);
    const a = new DistributedLocker(nodes, 'n1');
    const b = new DistributedLocker(nodes, 'n2');
    const first = await a.lock('obj', true);
    let second = false;
    const waiting = b.lock('obj', true).then((lease) => {
      second = true;
      return lease;
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(second).toBe(false);
    first.release();
    const next = await waiting;
    expect(second).toBe(true);
    // The later holder's fence is the greater: drives order the two holders' writes by it.
    expect(next.fence).toBeGreaterThan(first.fence);
    next.release();
  });

  it('a holder whose refreshes stop reaching a quorum stops trusting its lease before the nodes let it go', async () => {
    const tables = [new LockTable(), new LockTable(), new LockTable()];
    let cutOff = false;
    const nodes = tables.map(localLockNode).map((node): LockNode => ({ ...node, refresh: (...a) => (cutOff ? Promise.reject(new Error('cut off')) : node.refresh(...a)) }));
    const ttl = 300;
    const lease = await new DistributedLocker(nodes, 'n1', ttl).lock('obj', true);
    await new Promise((r) => setTimeout(r, ttl));
    expect(() => lease.check()).not.toThrow();
    cutOff = true;
    await new Promise((r) => setTimeout(r, ttl));
    expect(() => lease.check()).toThrow(expect.objectContaining({ kind: 'write-quorum' }));
    // Another writer gets it once the grants expired, with a greater fence.
    const other = await new DistributedLocker(tables.map(localLockNode), 'n2', ttl).lock('obj', true);
    expect(other.fence).toBeGreaterThan(lease.fence);
    other.release();
    lease.release();
  });
});
