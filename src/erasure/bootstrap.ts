/**
 * Bringing a pool's drives up: validate each directory, agree on one format (writing it to fresh
 * drives), put every drive in its slot, and build the erasure sets.
 */
import { randomUUID } from 'node:crypto';
import { NamespaceLock } from '../lock/namespace-lock.js';
import type { DriveFormat } from '../storage/format.js';
import { locateDrive, sameLayout } from '../storage/format.js';
import { LocalDrive } from '../storage/local-drive.js';
import { ErasurePool } from './pool.js';
import { ErasureSet } from './set.js';

export const BLOCK_SIZE = 1024 * 1024;
export const INLINE_LIMIT = 128 * 1024;
export const MAX_SET_SIZE = 16;

export class BootstrapError extends Error {}

/** The largest set size from 2 to 16 that divides the drive count. */
export function chooseSetSize(driveCount: number): number {
  for (let size = Math.min(MAX_SET_SIZE, driveCount); size >= 2; size--) {
    if (driveCount % size === 0) return size;
  }
  throw new BootstrapError(`${driveCount} drives cannot be divided into erasure sets of 2 to ${MAX_SET_SIZE} drives`);
}

export interface PoolLayout {
  deploymentId: string;
  setSize: number;
  setCount: number;
  parity: number;
  /** Drive paths per set, in slot order. */
  sets: string[][];
  /** Drives that were fresh in an already formatted pool and were given their slot back (to be healed). */
  replaced: string[];
}

function freshFormat(driveCount: number, setSize: number): DriveFormat {
  const ids = Array.from({ length: driveCount }, () => randomUUID());
  const sets: string[][] = [];
  for (let i = 0; i < driveCount; i += setSize) sets.push(ids.slice(i, i + setSize));
  return { version: 1, deploymentId: randomUUID(), sets, thisDrive: '' };
}

export async function bootstrapPool(paths: string[], parityOption?: number): Promise<{ pool: ErasurePool; layout: PoolLayout }> {
  if (paths.length < 2) throw new BootstrapError(`at least 2 drives are needed, ${paths.length} given`);
  const setSize = chooseSetSize(paths.length);
  const parity = parityOption ?? Math.floor(setSize / 2);
  if (!Number.isInteger(parity) || parity < 1 || parity > setSize / 2) {
    throw new BootstrapError(`--parity must be between 1 and ${Math.floor(setSize / 2)} for erasure sets of ${setSize} drives, got ${parityOption}`);
  }

  const drives = paths.map((p) => new LocalDrive(p));
  for (const drive of drives) {
    try {
      await drive.prepare();
    } catch (err) {
      throw new BootstrapError(`drive ${drive.root} is not usable: ${(err as Error).message}`);
    }
  }
  const formats = await Promise.all(drives.map((d) => d.readFormat()));
  const existing = formats.filter((f): f is DriveFormat => f !== undefined);

  let reference: DriveFormat;
  if (existing.length === 0) {
    reference = freshFormat(paths.length, setSize);
  } else {
    reference = existing[0];
    const stranger = existing.find((f) => !sameLayout(f, reference));
    if (stranger) {
      const path = drives[formats.indexOf(stranger)].root;
      throw new BootstrapError(`drive ${path} belongs to another deployment or layout (${stranger.deploymentId}, not ${reference.deploymentId})`);
    }
    const formattedCount = reference.sets.reduce((n, s) => n + s.length, 0);
    if (formattedCount !== paths.length) {
      throw new BootstrapError(`the drives were formatted as a pool of ${formattedCount} drives, but ${paths.length} are given`);
    }
  }

  // Every drive takes the slot its format names; fresh drives take the slots nobody claimed.
  const slots: (LocalDrive | undefined)[][] = reference.sets.map((s) => s.map(() => undefined));
  const fresh: LocalDrive[] = [];
  drives.forEach((drive, i) => {
    const format = formats[i];
    if (!format) return fresh.push(drive);
    const at = locateDrive(reference, format.thisDrive);
    if (!at || slots[at.set][at.slot]) throw new BootstrapError(`drive ${drive.root} has an id that is not in the pool's layout or is used twice`);
    slots[at.set][at.slot] = drive;
  });
  const replaced: string[] = [];
  for (let set = 0; set < slots.length; set++) {
    for (let slot = 0; slot < slots[set].length; slot++) {
      if (slots[set][slot]) continue;
      const drive = fresh.shift()!;
      await drive.writeFormat({ ...reference, thisDrive: reference.sets[set][slot] });
      slots[set][slot] = drive;
      if (existing.length > 0) replaced.push(drive.root);
    }
  }

  const placed = slots.map((s) => s as LocalDrive[]);
  await Promise.all(placed.flat().map((d) => d.open()));
  const locks = new NamespaceLock();
  const context = { blockSize: BLOCK_SIZE, inlineLimit: INLINE_LIMIT, defaultParity: parity, locks };
  const pool = new ErasurePool(placed.map((s) => new ErasureSet(s, context)), reference.deploymentId);
  return {
    pool,
    layout: {
      deploymentId: reference.deploymentId,
      setSize,
      setCount: placed.length,
      parity,
      sets: placed.map((s) => s.map((d) => d.root)),
      replaced,
    },
  };
}
