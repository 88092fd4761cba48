/**
 * The fences of deleted records a drive keeps (src/storage/fences.ts): read back until they expire,
 * and pruned with each new one fast enough that a steady stream of deletes keeps the table bounded.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open, type RootDatabase } from 'lmdb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DeletedRecordFences } from '../../src/storage/fences.js';

const MINUTE = 60_000;

describe('fences of deleted records', () => {
  let env: RootDatabase | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    await env?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function openFences() {
    dir = await mkdtemp(join(tmpdir(), 'tessera-fences-'));
    env = open({ path: dir, maxDbs: 1 });
    const db = env.openDB<Buffer, Buffer>({ name: 'fences', keyEncoding: 'binary', encoding: 'binary' });
    return { db, fences: new DeletedRecordFences(db) };
  }

  it('keeps a fence ten minutes, and forgets it when the record is written again', async () => {
    const { db, fences } = await openFences();
    let now = 1_000_000;
    vi.spyOn(Date, 'now').mockImplementation(() => now);
    db.transactionSync(() => fences.remember(Buffer.from('a'), 42));
    expect(db.transactionSync(() => fences.get(Buffer.from('a')))).toBe(42);
    now += 9 * MINUTE;
    expect(db.transactionSync(() => fences.get(Buffer.from('a')))).toBe(42);
    now += 2 * MINUTE;
    expect(db.transactionSync(() => fences.get(Buffer.from('a')))).toBe(0);
    db.transactionSync(() => fences.remember(Buffer.from('b'), 7));
    db.transactionSync(() => fences.forget(Buffer.from('b')));
    expect(db.transactionSync(() => fences.get(Buffer.from('b')))).toBe(0);
  });

  it('a steady stream of deletes keeps the table within about twice what ten minutes add', async () => {
    const { db, fences } = await openFences();
    let now = 1_000_000;
    vi.spyOn(Date, 'now').mockImplementation(() => now);
    // 1,000 deletes a minute (simulated) for 40 minutes, keys spread over the key space.
    const perMinute = 1_000;
    for (let minute = 0; minute < 40; minute++) {
      db.transactionSync(() => {
        for (let i = 0; i < perMinute; i++) fences.remember(Buffer.from(`${(minute * perMinute + i) * 2654435761 % 1e9}`.padStart(9, '0')), i);
      });
      now += MINUTE;
    }
    expect(db.getCount()).toBeLessThanOrEqual(2 * 10 * perMinute + perMinute);
  });
});
