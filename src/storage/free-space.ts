/**
 * A drive never fills up to the last byte. New data (shard files, records carrying inline shards,
 * staged parts) is refused once the free space falls below the data reserve; records without data
 * (deletes, heal's record rewrites, fences) may go on until the metadata reserve. LMDB then never
 * meets ENOSPC in the middle of a commit (lmdb-js can take the whole process down after a failed page
 * write), deletes can still free space on a full drive, and a refusal is a clear DriveError('full'),
 * which the erasure layer counts like any failed drive and reports as XTesseraStorageFull when too
 * many drives of a set are full to write.
 *
 *   TESSERA_DRIVE_RESERVE_MB   free space kept back from new data on each drive
 *                              (default: 1% of the drive, at least 64 MiB)
 */
import { statfs } from 'node:fs/promises';
import { envNumber } from '../env.js';
import { DriveError } from './drive.js';

const MiB = 1024 * 1024;
/** Records without data may use the drive down to this. */
const METADATA_RESERVE_BYTES = 16 * MiB;
const DEFAULT_DATA_RESERVE_FRACTION = 0.01;
const DEFAULT_DATA_RESERVE_MIN_BYTES = 64 * MiB;

/** What a write adds: object data, metadata only, or nothing (it only removes files, which frees space). */
export type SpaceNeed = 'data' | 'metadata' | 'none';

export interface SpaceReserve {
  /** Free bytes new data must leave, on a drive of `capacity` bytes. */
  dataBytes(capacity: number): number;
  metadataBytes: number;
}

export const DEFAULT_SPACE_RESERVE: SpaceReserve = {
  dataBytes: (capacity) => Math.max(DEFAULT_DATA_RESERVE_MIN_BYTES, capacity * DEFAULT_DATA_RESERVE_FRACTION),
  metadataBytes: METADATA_RESERVE_BYTES,
};

export function spaceReserveFromEnv(env: NodeJS.ProcessEnv): SpaceReserve {
  const mb = envNumber(env, 'TESSERA_DRIVE_RESERVE_MB', NaN, 0);
  if (Number.isNaN(mb)) return DEFAULT_SPACE_RESERVE;
  return { dataBytes: () => Math.max(mb * MiB, METADATA_RESERVE_BYTES), metadataBytes: METADATA_RESERVE_BYTES };
}

/**
 * The free bytes the filesystem of `root` has beyond what a write that adds `need` must leave
 * (Infinity when it adds nothing, or the drive cannot say); DriveError('full') when there are none.
 */
export async function freeSpaceHeadroom(root: string, need: SpaceNeed, reserve: SpaceReserve): Promise<number> {
  if (need === 'none') return Infinity;
  let free: number;
  let capacity: number;
  try {
    const fs = await statfs(root);
    free = fs.bavail * fs.bsize;
    capacity = fs.blocks * fs.bsize;
  } catch {
    return Infinity; // the write itself will say what is wrong with the drive
  }
  const kept = need === 'data' ? reserve.dataBytes(capacity) : reserve.metadataBytes;
  if (free < kept) {
    throw new DriveError('full', `${root}: ${Math.floor(free / MiB)} MiB free, below the ${Math.ceil(kept / MiB)} MiB kept back from ${need === 'data' ? 'new data' : 'any write'}`);
  }
  return free - kept;
}
