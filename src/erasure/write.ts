/** The write path's streaming half: encode blocks and append each shard to a staged file per drive. */
import { frameShardBlock } from '../codec/bitrot.js';
import { isDriveFull, type Drive, type ShardWriter } from '../storage/drive.js';
import { encodeBlock } from './coder.js';
import { missedWriteQuorum } from './quorum.js';
import { askDrives, bestEffortOnDrives } from './fan-out.js';

export interface ShardPlan {
  /** distribution[slot] = 1-based shard index the drive at `slot` receives. */
  distribution: number[];
  dataShards: number;
  parityShards: number;
  /** Fewer drives keeping up than this fails the write ('write-quorum'). */
  quorum: number;
  /** eligible[slot] false keeps that drive out of the write (e.g. it lacks the multipart upload). */
  eligible?: boolean[];
}

export async function discardStaging(drives: Drive[], stagingId: string): Promise<void> {
  await bestEffortOnDrives(drives, (d) => d.discardStaged(stagingId));
}

/**
 * Opens `<staging>/<stagingId>/<file>` for writing on the drives `only` marks: undefined where not
 * asked or it failed; `full` counts the drives that refused for want of space.
 */
export async function openShardWriters(drives: Drive[], stagingId: string, file: string, only: boolean[]): Promise<{ writers: (ShardWriter | undefined)[]; full: number }> {
  const opened = await askDrives(drives, (d) => d.createShardWriter(stagingId, file), { only });
  return {
    writers: opened.answers.map((writer) => (writer instanceof Error ? undefined : writer)),
    full: opened.answers.filter(isDriveFull).length,
  };
}

/**
 * Streams `blocks` into `<staging>/<stagingId>/<file>` on every online drive and fsyncs them. A drive
 * that fails is dropped from the write; returns which drives have the complete file. On any error
 * (the body failed, quorum lost) the staged files are removed and the error is rethrown.
 */
export async function writeShardFiles(
  drives: Drive[],
  stagingId: string,
  file: string,
  blocks: AsyncIterable<Buffer>,
  plan: ShardPlan,
): Promise<{ alive: boolean[]; size: number }> {
  const { distribution, dataShards, parityShards, quorum, eligible } = plan;
  const { writers, full } = await openShardWriters(
    drives,
    stagingId,
    file,
    drives.map((d, slot) => d.isOnline() && eligible?.[slot] !== false),
  );
  /** Drives refused for want of space (at open, or ENOSPC on the way). */
  let fullDrives = full;
  const drop = (slot: number, err?: unknown): void => {
    if (writers[slot] && isDriveFull(err)) fullDrives++;
    void writers[slot]?.abort().catch(() => undefined);
    writers[slot] = undefined;
  };
  const requireQuorum = (): void => {
    const alive = writers.filter(Boolean).length;
    if (alive < quorum) throw missedWriteQuorum(alive, fullDrives, quorum);
  };
  let size = 0;
  let pending: Promise<void> = Promise.resolve();
  const writeShards = async (shards: Buffer[]): Promise<void> => {
    requireQuorum();
    await Promise.all(
      writers.map((w, slot) => w?.write(frameShardBlock(shards[distribution[slot] - 1])).catch((err: unknown) => drop(slot, err))),
    );
  };
  try {
    requireQuorum();
    for await (const block of blocks) {
      // Encode this block while the previous one is still being written, then wait for that write.
      const shards = encodeBlock(block, dataShards, parityShards);
      size += block.length;
      await pending;
      pending = writeShards(shards);
      // Seen by the `await` above at the next block, or below; until then (a slow client) a failure
      // must not be an unhandled rejection, which ends the process.
      pending.catch(() => undefined);
    }
    await pending;
    await Promise.all(writers.map((w, slot) => w?.finish().catch((err: unknown) => drop(slot, err))));
    requireQuorum();
  } catch (err) {
    await pending.catch(() => undefined);
    writers.forEach((_, slot) => drop(slot));
    await discardStaging(drives, stagingId);
    throw err;
  }
  return { alive: writers.map(Boolean), size };
}
