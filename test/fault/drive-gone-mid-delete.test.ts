/**
 * Found by the torture suite: "a drive vanishing while an upload is deleted kills the node". Deleting
 * an upload walked its part records with an lmdb cursor and awaited each removal inside the walk;
 * when the drive went offline meanwhile (its environment closed), lmdb threw from a timer, outside
 * any caller, and the process ended. The walk must not outlive a tick.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalDrive } from '../../src/storage/local-drive.js';
import { formattedDrives, type DriveRig } from '../helpers/drive-rig.js';

const BUCKET = 'uploads';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('a drive closing under a running operation', () => {
  let rig: DriveRig;
  beforeAll(async () => {
    rig = await formattedDrives(1, [BUCKET], 'tessera-gone-');
  });
  afterAll(() => rig.destroy());

  it('a drive vanishing while an upload is deleted kills the node: the delete fails as a drive error, the process lives', async () => {
    const drive: LocalDrive = rig.drives[0];
    const uploadId = 'f'.repeat(64);
    await drive.writeUpload(BUCKET, { uploadId, key: 'key', initiated: 1, headers: {}, dataDir: randomUUID(), erasure: { dataShards: 1, parityShards: 0, blockSize: 1024, index: 1, distribution: [1] } });
    for (let n = 1; n <= 300; n++) {
      const stagingId = randomUUID();
      const writer = await drive.createShardWriter(stagingId, `part.${n}`);
      await writer.write([randomBytes(16)]);
      await writer.finish();
      await drive.commitPart(stagingId, uploadId, { number: n, size: 16, etag: `e${n}`, modTime: 1 });
    }
    const deleting = drive.deleteUpload(BUCKET, 'key', uploadId).then(
      () => 'deleted',
      (err: unknown) => (err as { kind?: string }).kind ?? String(err),
    );
    await sleep(2);
    await drive.close(); // as when the drive goes offline: its lmdb environment is closed
    expect(['deleted', 'offline', 'faulty']).toContain(await deleting);
    await sleep(200); // lmdb resets read transactions on a timer: a cursor left open would throw there
  });
});
