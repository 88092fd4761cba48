import { describe, expect, it } from 'vitest';
import { NamespaceLock } from '../../src/lock/namespace-lock.js';

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 5));

describe('namespace lock', () => {
  it('lets readers share and writers exclude', async () => {
    const locks = new NamespaceLock();
    const r1 = await locks.lock('a', false);
    const r2 = await locks.lock('a', false);
    let writing = false;
    const w = locks.lock('a', true).then((release) => {
      writing = true;
      return release;
    });
    await tick();
    expect(writing).toBe(false);
    r1.release();
    await tick();
    expect(writing).toBe(false);
    r2.release();
    const lease = await w;
    expect(writing).toBe(true);
    lease.release();
  });

  it('does not let new readers overtake a waiting writer', async () => {
    const locks = new NamespaceLock();
    const order: string[] = [];
    const r1 = await locks.lock('k', false);
    const w = locks.lock('k', true).then((rel) => (order.push('writer'), rel));
    const r2 = locks.lock('k', false).then((rel) => (order.push('reader'), rel));
    await tick();
    r1.release();
    (await w).release();
    (await r2).release();
    expect(order).toEqual(['writer', 'reader']);
  });

  it('keeps names independent and releases idempotently', async () => {
    const locks = new NamespaceLock();
    const a = await locks.lock('a', true);
    const b = await locks.lock('b', true);
    a.release();
    a.release();
    b.release();
    const again = await locks.lock('a', true);
    // Each grant draws a greater fence than the ones before it.
    expect(again.fence).toBeGreaterThan(b.fence);
    expect(b.fence).toBeGreaterThan(a.fence);
    again.release();
  });

  it('refuses with lock-timeout (503 SlowDown) a waiter that waited its time, and lets the readers behind a writer that gave up in', async () => {
    const locks = new NamespaceLock(100);
    const reader = await locks.lock('k', false);
    const writer = locks.lock('k', true);
    const behind = locks.lock('k', false); // queued behind the writer
    await expect(writer).rejects.toMatchObject({ kind: 'lock-timeout' });
    (await behind).release();
    reader.release();
    (await locks.lock('k', true)).release();
  });
});

describe('namespace lock activity', () => {
  it('records held and waiting locks, oldest first, and forgets them when released or given up', async () => {
    const locks = new NamespaceLock(100);
    const held = await locks.lock('b/one', true);
    await tick();
    const waiter = locks.lock('b/one', false);
    const reader = await locks.lock('b/two', false);
    expect(locks.activity.oldest(10).map((a) => [a.resource, a.mode, a.state])).toEqual([
      ['b/one', 'write', 'held'],
      ['b/one', 'read', 'waiting'],
      ['b/two', 'read', 'held'],
    ]);
    expect(locks.activity.oldest(1)).toHaveLength(1);
    await expect(waiter).rejects.toMatchObject({ kind: 'lock-timeout' });
    held.release();
    reader.release();
    expect(locks.activity.oldest(10)).toEqual([]);
  });
});
