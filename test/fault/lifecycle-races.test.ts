/**
 * Issue 12, found by review: the lifecycle worker acted on what its listing showed, and a client's
 * request (or a page boundary) changed that before the delete. Each test is named after what went
 * wrong and checks what must happen; a pool over four LocalDrives, a Proxy slipping one client
 * request in right after the worker's listing (or tag read), and days of a second.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ErasurePool } from '../../src/erasure/pool.js';
import { ErasureSet } from '../../src/erasure/set.js';
import { NamespaceLock } from '../../src/lock/namespace-lock.js';
import { LifecycleWorker } from '../../src/lifecycle/worker.js';
import type { LifecycleRule } from '../../src/meta/lifecycle.js';
import type { ListVersionsOptions, ListVersionsResult } from '../../src/object/types.js';
import { formattedDrives, putBody, type DriveRig } from '../helpers/drive-rig.js';

const DAY = 1000;
let rig: DriveRig | undefined;
afterEach(async () => {
  await rig?.destroy();
  rig = undefined;
});

async function setup(rules: LifecycleRule[]): Promise<{ pool: ErasurePool; locks: NamespaceLock }> {
  rig = await formattedDrives(4, [], 'tessera-lc-review-');
  const locks = new NamespaceLock();
  const set = new ErasureSet(rig.drives, { blockSize: 64 * 1024, inlineLimit: 16 * 1024, defaultParity: 2, locks });
  const pool = new ErasurePool([set], 'lc-review');
  await pool.makeBucket('bkt');
  await pool.updateBucketConfig('bkt', (c) => ({ ...c, versioning: 'Enabled' }));
  await pool.updateBucketConfig('bkt', ({ stamp: _s, ...c }) => ({ ...c, lifecycle: rules }));
  return { pool, locks };
}

const put = (pool: ErasurePool, key: string, text: string) => pool.putObject('bkt', key, putBody(Buffer.from(text)), { headers: {} });
const ids = async (pool: ErasurePool, key: string) =>
  (await pool.listObjectVersions('bkt', { prefix: key, delimiter: '', maxKeys: 1000 })).versions.filter((v) => v.key === key).map((v) => `${v.versionId}${v.isLatest ? '*' : ''}`);

/** The pool, with `between` run once right after the worker's first listing page (a client's request racing the pass). */
function racing(pool: ErasurePool, between: () => Promise<void>, pageSize?: number, after: 'listObjectVersions' | 'getObjectInfo' = 'listObjectVersions') {
  let fired = false;
  return new Proxy(pool, {
    get(target, name, receiver) {
      if (name === 'getObjectInfo' && after === 'getObjectInfo') {
        return async (...args: Parameters<ErasurePool['getObjectInfo']>) => {
          const info = await target.getObjectInfo(...args);
          if (!fired) {
            fired = true;
            await between();
          }
          return info;
        };
      }
      if (name !== 'listObjectVersions' || after !== 'listObjectVersions') return Reflect.get(target, name, receiver);
      return async (bucket: string, options: ListVersionsOptions): Promise<ListVersionsResult> => {
        const page = await target.listObjectVersions(bucket, pageSize ? { ...options, maxKeys: pageSize } : options);
        if (!fired) {
          fired = true;
          await between();
        }
        return page;
      };
    },
  });
}

describe('lifecycle worker acting on a stale premise', () => {
  it('rollback race: the client deletes the latest version; the worker then permanently deletes the version that became current', async () => {
    const { pool, locks } = await setup([{ id: 'nc', enabled: true, filter: {}, noncurrentVersionExpiration: { noncurrentDays: 1 } }]);
    const v1 = await put(pool, 'k', 'good');
    const v2 = await put(pool, 'k', 'bad');
    const worker = new LifecycleWorker(racing(pool, () => pool.deleteObject('bkt', 'k', v2.versionId).then(() => undefined)), locks, { enabled: true, dayMs: DAY, intervalMs: 1e9 });
    await worker.runOnce(Date.now() + 10 * DAY);
    // AWS: v1 is the current version now; NoncurrentVersionExpiration never touches a current version.
    expect(await ids(pool, 'k')).toEqual([`${v1.versionId}*`]);
  });

  it('NewerNoncurrentVersions: a newer noncurrent version deleted by a client after the listing; the worker deletes one it must now retain', async () => {
    const { pool, locks } = await setup([{ id: 'nc', enabled: true, filter: {}, noncurrentVersionExpiration: { noncurrentDays: 1, newerNoncurrentVersions: 1 } }]);
    const v1 = await put(pool, 'k', '1');
    const v2 = await put(pool, 'k', '2');
    const v3 = await put(pool, 'k', '3');
    const worker = new LifecycleWorker(racing(pool, () => pool.deleteObject('bkt', 'k', v2.versionId).then(() => undefined)), locks, { enabled: true, dayMs: DAY, intervalMs: 1e9 });
    await worker.runOnce(Date.now() + 10 * DAY);
    // After the client's delete: v3 current, v1 the one newest noncurrent version, which the rule retains.
    expect(await ids(pool, 'k')).toEqual([`${v3.versionId}*`, v1.versionId]);
  });

  it('page boundary on the null version: the null version deleted between pages makes page 2 repeat the key, and the worker deletes the current version', async () => {
    const { pool, locks } = await setup([{ id: 'nc', enabled: true, filter: {}, noncurrentVersionExpiration: { noncurrentDays: 1 } }]);
    // A null version from before versioning was enabled, below two versioned ones; another key after.
    await pool.updateBucketConfig('bkt', ({ stamp: _s, versioning: _v, ...c }) => c);
    await put(pool, 'k', 'null');
    await pool.updateBucketConfig('bkt', (c) => ({ ...c, versioning: 'Enabled' }));
    await put(pool, 'k', 'v1');
    const v2 = await put(pool, 'k', 'v2');
    await put(pool, 'l', 'other');
    // Pages of 3 stand in for pages of 1000 whose last entry is a null version.
    const worker = new LifecycleWorker(racing(pool, () => pool.deleteObject('bkt', 'k', 'null').then(() => undefined), 3), locks, { enabled: true, dayMs: DAY, intervalMs: 1e9 });
    await worker.runOnce(Date.now() + 10 * DAY);
    expect(await ids(pool, 'k')).toEqual([`${v2.versionId}*`]);
  });

  it('tag removed after the listing: the worker still expires the object by the tag rule', async () => {
    const { pool, locks } = await setup([{ id: 'tmp', enabled: true, filter: { tags: [['tmp', 'yes']] }, expiration: { days: 1 } }]);
    await pool.putObject('bkt', 'k', putBody(Buffer.from('x')), { headers: {}, attributes: { tags: [['tmp', 'yes']] } });
    const worker = new LifecycleWorker(racing(pool, () => pool.updateObjectAttributes('bkt', 'k', undefined, () => ({ tags: [] })).then(() => undefined), undefined, 'getObjectInfo'), locks, { enabled: true, dayMs: DAY, intervalMs: 1e9 });
    await worker.runOnce(Date.now() + 10 * DAY);
    expect((await pool.getObjectInfo('bkt', 'k')).deleteMarker).toBe(false);
  });

  it('lifecycle configuration deleted during a pass: the worker keeps enforcing the old rules for the rest of the pass', async () => {
    const { pool, locks } = await setup([{ id: 'all', enabled: true, filter: {}, expiration: { days: 1 } }]);
    await put(pool, 'a', 'x');
    await put(pool, 'bb', 'x');
    await put(pool, 'c', 'x');
    await put(pool, 'd', 'x');
    const worker = new LifecycleWorker(racing(pool, () => pool.updateBucketConfig('bkt', ({ stamp: _s, lifecycle: _l, ...c }) => c).then(() => undefined), 2), locks, { enabled: true, dayMs: DAY, intervalMs: 1e9 });
    await worker.runOnce(Date.now() + 10 * DAY);
    // Keys on pages listed after the configuration was deleted are still expired.
    await expect(pool.getObjectInfo('bkt', 'c')).resolves.toBeTruthy();
  });
});

describe('lifecycle worker failing to act', () => {
  it('Expiration Days also removes an expired object delete marker once it is Days old (AWS: "When you specify the Days tag, Amazon S3 automatically performs ExpiredObjectDeleteMarker cleanup")', async () => {
    const { pool, locks } = await setup([{ id: 'all', enabled: true, filter: {}, expiration: { days: 1 }, noncurrentVersionExpiration: { noncurrentDays: 1 } }]);
    await put(pool, 'k', 'x');
    const worker = new LifecycleWorker(pool, locks, { enabled: true, dayMs: DAY, intervalMs: 1e9 });
    await worker.runOnce(Date.now() + 10 * DAY); // current expires: a delete marker above it
    await worker.runOnce(Date.now() + 20 * DAY); // the noncurrent version goes: the marker is alone
    await worker.runOnce(Date.now() + 30 * DAY); // the lone marker is 30 "days" old: AWS removes it
    expect(await ids(pool, 'k')).toEqual([]);
  });
});
