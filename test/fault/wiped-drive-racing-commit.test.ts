/**
 * Found by the torture suite: "a disk replaced under load stays offline for good". A drive was
 * emptied (as a new disk would be) while commits were under way; one of them moved its data into
 * place just after the wipe, so the empty drive held a shard file, and revive took it for a
 * directory with someone's data and never formatted it. A few shard files where commits put them are
 * what such races leave; anything else, or many of them, is still refused.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formattedDrives, type DriveRig } from '../helpers/drive-rig.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('reviving a drive emptied under load', () => {
  const rigs: DriveRig[] = [];
  afterEach(async () => {
    for (const rig of rigs.splice(0)) await rig.destroy();
  });

  /** A rig whose first drive was emptied and found offline; `leftovers` are then put into it. */
  async function emptied(leftovers: (root: string) => Promise<void>) {
    const rig = await formattedDrives(4, ['racing'], 'tessera-racing-wipe-');
    rigs.push(rig);
    const [drive] = rig.drives;
    const root = rig.roots[0];
    for (const entry of await readdir(root)) await rm(join(root, entry), { recursive: true, force: true });
    await sleep(150); // past the identity check's interval
    expect(await drive.probe()).toBe(false);
    await leftovers(root);
    const reference = (await rig.drives[1].readFormat())!;
    return { drive, revive: () => drive.revive(reference, reference.sets[0][0]) };
  }

  async function shardFile(root: string, name = 'part.1'): Promise<void> {
    const dir = join(root, 'racing', 'ab', `ab${randomUUID().slice(2)}`);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, name), 'shard bytes');
  }

  it('a disk replaced under load stays offline for good: a shard file a racing commit left does not keep it from being formatted', async () => {
    const { drive, revive } = await emptied((root) => shardFile(root));
    expect(await revive()).toBe('reformatted');
    expect(drive.isOnline()).toBe(true);
  });

  it('a file that is not a shard file, or more shard files than racing commits leave, still keeps it offline', async () => {
    const other = await emptied(async (root) => {
      await shardFile(root);
      await writeFile(join(root, 'racing', 'notes.txt'), 'somebody else');
    });
    expect(await other.revive()).toBe('not-empty');
    const many = await emptied(async (root) => {
      for (let i = 0; i < 17; i++) await shardFile(root);
    });
    expect(await many.revive()).toBe('not-empty');
  });
});
