/**
 * Reading a multipart object keeps at most two of a drive's part files open at a time (the part being
 * read, and the next one while it opens), not one per part: a reader on another node holds its files
 * through an RPC session, whose open files are limited.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErasureSet } from '../../src/erasure/set.js';
import { NamespaceLock } from '../../src/lock/namespace-lock.js';
import type { Drive, ShardReader } from '../../src/storage/drive.js';
import { formattedDrives, putBody, readObject, type DriveRig } from '../helpers/drive-rig.js';

const BUCKET = 'parts';
const PART = 5 * 1024 * 1024;

/** `inner`, counting the shard files open through it. */
function counting(inner: Drive, open: { now: number; most: number }): Drive {
  return new Proxy(inner, {
    get(target, prop) {
      if (prop === 'openShard') {
        return async (...args: Parameters<Drive['openShard']>): Promise<ShardReader> => {
          const reader = await target.openShard(...args);
          open.most = Math.max(open.most, ++open.now);
          let closed = false;
          return {
            read: (offset, length) => reader.read(offset, length),
            close: async () => {
              if (!closed) open.now--;
              closed = true;
              await reader.close();
            },
          };
        };
      }
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

describe('reading a multipart object', () => {
  let rig: DriveRig;
  beforeAll(async () => {
    rig = await formattedDrives(4, [BUCKET], 'tessera-parts-');
  });
  afterAll(() => rig.destroy());

  it('keeps at most two part files of a drive open at a time, and none afterwards', async () => {
    const ctx = { blockSize: 1024 * 1024, inlineLimit: 16 * 1024, defaultParity: 2 };
    const set = new ErasureSet(rig.drives, { ...ctx, locks: new NamespaceLock() });
    const upload = await set.uploads.create(BUCKET, 'key', { headers: {} });
    const bodies = [randomBytes(PART), randomBytes(PART), randomBytes(PART), randomBytes(1234)];
    const parts = [];
    for (const [i, body] of bodies.entries()) parts.push(await set.uploads.uploadPart(BUCKET, 'key', upload.uploadId, i + 1, putBody(body)));
    await set.uploads.complete(BUCKET, 'key', upload.uploadId, parts.map((p) => ({ number: p.number, etag: p.etag })), { checksums: () => ({}) });

    const open = rig.drives.map(() => ({ now: 0, most: 0 }));
    const reading = new ErasureSet(rig.drives.map((d, i) => counting(d, open[i])), { ...ctx, locks: new NamespaceLock() });
    expect((await readObject(reading, BUCKET, 'key')).equals(Buffer.concat(bodies))).toBe(true);
    for (const [i, o] of open.entries()) {
      expect(o.most, `drive ${i}: part files open at once`).toBeLessThanOrEqual(2);
      expect(o.now, `drive ${i}: part files still open`).toBe(0);
    }
    expect(open.some((o) => o.most > 0)).toBe(true);
  });
});
