/**
 * Bringing a pool up: validate the local drives, agree with the other nodes on one format (the first
 * endpoint's node writes it to all-fresh drives), give fresh drives in a formatted pool their slot
 * back, and build the erasure sets. A drive's slot is fixed by its position in the endpoint list.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Locker } from '../lock/locker.js';
import { DriveError, type Drive } from '../storage/drive.js';
import { sameLayout, type DriveFormat } from '../storage/format.js';
import { REVIVE_REFUSALS, type LocalDrive } from '../storage/local-drive.js';
import { ErasurePool } from './pool.js';
import { ErasureSet } from './set.js';
import { ConfigurationError } from '../errors.js';
import { askDrives } from './fan-out.js';

export const BLOCK_SIZE = 1024 * 1024;
export const INLINE_LIMIT = 128 * 1024;
export const MAX_SET_SIZE = 16;
const WAIT_REPORT_MS = 3_000;
const RETRY_MS = 500;
/**
 * How long the number of formatted drives must hold still before this node takes its unformatted
 * drives for replacements: while the first node writes a fresh pool's format, a majority of drives may
 * show it before this node's own have received theirs.
 */
const FORMAT_SETTLE_MS = 4_000;

export class BootstrapError extends ConfigurationError {}

/**
 * The largest set size from 2 to 16 that divides the drive count and, with several nodes, gives every
 * set the same number of drives from each node (or one drive from each of as many nodes).
 */
export function chooseSetSize(driveCount: number, nodeCount = 1): number {
  for (let size = Math.min(MAX_SET_SIZE, driveCount); size >= 2; size--) {
    if (driveCount % size !== 0) continue;
    if (nodeCount === 1 || size % nodeCount === 0 || nodeCount % size === 0) return size;
  }
  throw new BootstrapError(
    `${driveCount} drives on ${nodeCount} node(s) cannot be divided into erasure sets of 2 to ${MAX_SET_SIZE} drives spread evenly over the nodes`,
  );
}

/**
 * Drive indexes (into the endpoint list) of every set, in slot order: drives are taken round-robin
 * over the nodes (first drive of every node, then the second, ...) so each set spans all nodes.
 */
export function layoutSets(driveNodes: number[], setSize: number): number[][] {
  const perNode = new Map<number, number[]>();
  driveNodes.forEach((node, index) => perNode.set(node, [...(perNode.get(node) ?? []), index]));
  const queues = [...perNode.values()];
  const order: number[] = [];
  for (let round = 0; order.length < driveNodes.length; round++) {
    for (const queue of queues) if (round < queue.length) order.push(queue[round]);
  }
  const sets: number[][] = [];
  for (let i = 0; i < order.length; i += setSize) sets.push(order.slice(i, i + setSize));
  return sets;
}

export interface PoolLayout {
  deploymentId: string;
  setSize: number;
  setCount: number;
  parity: number;
  /** Drive endpoints per set, in slot order. */
  sets: string[][];
  /** Local drives that were fresh in an already formatted pool and were given their slot back (to be healed). */
  replaced: string[];
}

export interface BootstrapOptions {
  /** Every drive of the pool in endpoint order, local (LocalDrive) or remote. */
  drives: Drive[];
  /** Node index of every drive (all 0 on a single node). */
  driveNodes: number[];
  /** This node's drives, by endpoint index. */
  local: Map<number, LocalDrive>;
  /** This node formats an all-fresh pool (the node of the first endpoint). */
  formatsFreshPool: boolean;
  parity?: number;
  locks: Locker;
  /** Progress lines while waiting for other nodes. */
  log?: (line: string) => void;
}

function freshFormat(sets: number[][]): DriveFormat {
  return { version: 1, deploymentId: randomUUID(), sets: sets.map((s) => s.map(() => randomUUID())), thisDrive: '' };
}

/**
 * Readies this node's drives (system folders, stale staging cleared). Must finish before the node
 * answers RPC: another node may format these drives as soon as it can reach them.
 */
export async function prepareLocalDrives(local: Map<number, LocalDrive>): Promise<void> {
  for (const drive of local.values()) {
    try {
      await drive.prepare();
    } catch (err) {
      throw new BootstrapError(`drive ${drive.endpoint} is not usable: ${(err as Error).message}`);
    }
  }
}

/** Agrees on the format with the other nodes and builds the pool; local drives must be prepared. */
export async function bootstrapPool(options: BootstrapOptions): Promise<{ pool: ErasurePool; layout: PoolLayout }> {
  const { drives, driveNodes, local } = options;
  const nodeCount = new Set(driveNodes).size;
  if (drives.length < 2) throw new BootstrapError(`at least 2 drives are needed, ${drives.length} given`);
  const setSize = chooseSetSize(drives.length, nodeCount);
  const parity = options.parity ?? Math.floor(setSize / 2);
  if (!Number.isInteger(parity) || parity < 1 || parity > setSize / 2) {
    throw new BootstrapError(`--parity must be between 1 and ${Math.floor(setSize / 2)} for erasure sets of ${setSize} drives, got ${options.parity}`);
  }
  const sets = layoutSets(driveNodes, setSize);
  const slotOf = new Map<number, { set: number; slot: number }>();
  sets.forEach((s, set) => s.forEach((index, slot) => slotOf.set(index, { set, slot })));

  const reference = await agreeOnFormat(options, sets, slotOf);
  const formats = new Map<LocalDrive, DriveFormat | undefined>();
  for (const drive of local.values()) formats.set(drive, await drive.readFormat());
  const formatted = [...local.values()].filter((d) => formats.get(d));
  const othersMounted = (await Promise.all(formatted.map((d) => d.isMountPoint()))).some(Boolean);
  const replaced: string[] = [];
  for (const [index, drive] of local) {
    const { set, slot } = slotOf.get(index)!;
    const driveId = reference.sets[set][slot];
    const format = formats.get(drive);
    if (!format) {
      const how = await drive.adoptAtStart(reference, driveId, othersMounted);
      if (how === 'reformatted') replaced.push(drive.endpoint);
      else if (how !== 'reopened') options.log?.(`tessera: ${drive.endpoint} stays offline: ${REVIVE_REFUSALS[how]}`);
      continue;
    }
    if (format.thisDrive !== driveId) {
      throw new BootstrapError(`drive ${drive.endpoint} holds the format of another slot: were the drives given in a different order?`);
    }
    await drive.open();
  }

  const context = { blockSize: BLOCK_SIZE, inlineLimit: INLINE_LIMIT, defaultParity: parity, locks: options.locks };
  const pool = new ErasurePool(sets.map((s) => new ErasureSet(s.map((i) => drives[i]), context)), reference.deploymentId);
  return {
    pool,
    layout: {
      deploymentId: reference.deploymentId,
      setSize,
      setCount: sets.length,
      parity,
      sets: sets.map((s) => s.map((i) => drives[i].endpoint)),
      replaced,
    },
  };
}

/**
 * Reads every drive's format until more than half of the pool's drives agree on one (writing a fresh
 * one first when this node formats an all-fresh pool), checking that nothing contradicts it.
 */
async function agreeOnFormat(
  options: BootstrapOptions,
  sets: number[][],
  slotOf: Map<number, { set: number; slot: number }>,
): Promise<DriveFormat> {
  const { drives, log } = options;
  const needed = Math.floor(drives.length / 2) + 1;
  let lastReport = 0;
  const seen = { formats: -1, since: Date.now() };
  for (;;) {
    const { answers } = await askDrives(drives, (d) => d.readFormat());
    const refusal = answers.find((a): a is DriveError => a instanceof DriveError && a.kind === 'refused');
    if (refusal) throw new BootstrapError(`cannot form a cluster: ${refusal.message}`);
    const silent = answers.flatMap((a, i) => (a instanceof Error ? [drives[i].endpoint] : []));
    const formats = answers.filter((a): a is DriveFormat => !!a && !(a instanceof Error));

    if (formats.length === 0 && silent.length === 0 && options.formatsFreshPool) {
      const fresh = freshFormat(sets);
      const { answers: written } = await askDrives(drives, (d, i) => {
        const { set, slot } = slotOf.get(i)!;
        return d.writeFormat({ ...fresh, thisDrive: fresh.sets[set][slot] });
      });
      const failed = written.findIndex((w) => w instanceof Error);
      if (failed >= 0) throw new BootstrapError(`cannot format drive ${drives[failed].endpoint}: ${(written[failed] as Error).message}`);
      log?.(`tessera: formatted ${drives.length} fresh drives as deployment ${fresh.deploymentId}`);
      continue;
    }

    if (formats.length > 0) {
      const reference = formats[0];
      const stranger = formats.find((f) => !sameLayout(f, reference));
      if (stranger) {
        const at = answers.indexOf(stranger);
        throw new BootstrapError(`drive ${drives[at].endpoint} belongs to another deployment or layout (${stranger.deploymentId}, not ${reference.deploymentId})`);
      }
      const shape = reference.sets.map((s) => s.length).join(',');
      if (shape !== sets.map((s) => s.length).join(',')) {
        throw new BootstrapError(`the drives were formatted as sets of [${shape}] drives, but the endpoints given make [${sets.map((s) => s.length).join(',')}]`);
      }
      const fresh = answers.filter((a) => a === undefined).length;
      if (formats.length !== seen.formats) Object.assign(seen, { formats: formats.length, since: Date.now() });
      // Another node may still be writing the format to this node's unformatted drives; once the count
      // holds still they are replacements, which bootstrapPool gives their slots back.
      const ownFresh = !options.formatsFreshPool && [...options.local.keys()].some((i) => answers[i] === undefined);
      const settled = !ownFresh || Date.now() - seen.since >= FORMAT_SETTLE_MS;
      // Fresh drives in a formatted pool are replacements; they count once their node formats them.
      if (settled && (formats.length >= needed || (silent.length === 0 && formats.length + fresh === drives.length))) {
        return reference;
      }
    }

    if (Date.now() - lastReport > WAIT_REPORT_MS) {
      lastReport = Date.now();
      const waitingFor =
        silent.length > 0 ? `drives that do not answer yet: ${silent.join(' ')}` : formats.length > 0 ? "the pool's format to reach this node's drives" : 'the first node to format the drives';
      log?.(`tessera: waiting for ${waitingFor}`);
    }
    await sleep(RETRY_MS);
  }
}
