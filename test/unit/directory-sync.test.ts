import { describe, expect, it } from 'vitest';
import { coalescingSync } from '../../src/storage/directories.js';

/** A fake fsync: records when each call starts, and finishes when told to. */
function fakeSync() {
  const started: { dir: string; at: number; finish: () => void }[] = [];
  let clock = 0;
  const sync = (dir: string): Promise<void> => new Promise((resolve) => started.push({ dir, at: ++clock, finish: resolve }));
  return { started, sync, tick: () => ++clock };
}

const flush = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

describe('coalescingSync (group commit of directory fsyncs)', () => {
  it('a sync asked for while one runs waits for one that starts after it; callers meanwhile share that one', async () => {
    const fake = fakeSync();
    const sync = coalescingSync(fake.sync);
    const first = sync('/d');
    await flush();
    expect(fake.started).toHaveLength(1);
    const askedAt = fake.tick();
    let laterDone = false;
    const later = [sync('/d'), sync('/d'), sync('/d')];
    void Promise.all(later).then(() => (laterDone = true));
    await flush();
    // Nothing new starts while the first runs, and finishing it does not settle the later callers.
    expect(fake.started).toHaveLength(1);
    fake.started[0].finish();
    await first;
    await flush();
    expect(laterDone).toBe(false);
    expect(fake.started).toHaveLength(2);
    expect(fake.started[1].at).toBeGreaterThan(askedAt);
    fake.started[1].finish();
    await Promise.all(later);
    expect(fake.started).toHaveLength(2);
  });

  it('keeps directories apart, and a failed sync fails its callers only', async () => {
    const fake = fakeSync();
    let fail = true;
    const sync = coalescingSync((dir) => (fail && dir === '/bad' ? Promise.reject(new Error('EIO')) : fake.sync(dir)));
    const bad = sync('/bad');
    const other = sync('/other');
    await expect(bad).rejects.toThrow('EIO');
    fail = false;
    const again = sync('/bad');
    await flush();
    expect(fake.started.map((s) => s.dir)).toEqual(['/other', '/bad']);
    fake.started.forEach((s) => s.finish());
    await Promise.all([other, again]);
  });
});
