/**
 * Reading a version's shards block by block (ShardSources, for GET and for heal's rebuilds), and the
 * read path: stream a version's bytes (or a range of them). Only verified bytes are ever decoded,
 * yielded or used to rebuild a shard.
 */
import { BITROT_HASH_SIZE, BitrotError, ShardLayout, verifyShardBlock } from '../codec/bitrot.js';
import { ObjectLayerError } from '../object/errors.js';
import type { ByteRange } from '../object/types.js';
import type { Drive, ShardReader } from '../storage/drive.js';
import { decodeBlock, slicePieces } from './coder.js';
import type { QuorumVersion } from './quorum.js';

/** Serves reads of an inline shard from the record's bytes. */
class InlineShardReader implements ShardReader {
  constructor(private readonly bytes: Buffer) {}

  async read(offset: number, length: number): Promise<Buffer> {
    return this.bytes.subarray(offset, offset + length);
  }

  async close(): Promise<void> {}
}

/** A block's shards by shard index (0-based), undefined where none was read. */
export interface BlockShards {
  shards: (Buffer | undefined)[];
  /** How many shards were read and verified: D, or fewer when too few sources were left. */
  verified: number;
}

/**
 * Reads the shards of a version's blocks from the drives marked usable. Data shards are read first;
 * a shard that is missing, short or fails its bitrot hash takes its drive out of every later read of
 * these sources, and the next shard index is read in its place.
 */
export class ShardSources {
  private readonly usable: boolean[];
  private readonly readers = new Map<string, Promise<ShardReader>>();
  /** slotOfShard[i] = the drive slot holding shard index i (0-based). */
  private readonly slotOfShard: number[];
  /** A shard read failed (missing, short, unreadable), or failed its bitrot hash. */
  failed = false;
  corrupt = false;

  /** usable[slot]: the drive at `slot` holds a good copy of the shards to read. */
  constructor(
    private readonly bucket: string,
    private readonly drives: readonly Drive[],
    private readonly quorum: QuorumVersion,
    usable: readonly boolean[],
  ) {
    const { distribution } = quorum.version.erasure;
    this.slotOfShard = [];
    distribution.forEach((index, slot) => (this.slotOfShard[index - 1] = slot));
    this.usable = [...usable];
  }

  private reader(slot: number, partNumber: number): Promise<ShardReader> {
    const id = `${slot}:${partNumber}`;
    let reader = this.readers.get(id);
    if (!reader) {
      const version = this.quorum.version;
      if (version.dataDir === '') {
        const copy = this.quorum.copies[slot];
        reader = Promise.resolve(new InlineShardReader(Buffer.from(copy?.inline ?? Buffer.alloc(0))));
      } else {
        reader = this.drives[slot].openShard(this.bucket, version.dataDir, `part.${partNumber}`);
        // Parts are read in order: once this one is open, the drive's earlier parts are done with. (Closed
        // after, not before, so the data directory stays pinned throughout; see DataDirPins.)
        void reader.then(() => this.closeEarlierParts(slot, partNumber), () => undefined);
      }
      this.readers.set(id, reader);
    }
    return reader;
  }

  private closeEarlierParts(slot: number, partNumber: number): void {
    for (const [id, reader] of this.readers) {
      const [readerSlot, readerPart] = id.split(':').map(Number);
      if (readerSlot !== slot || readerPart >= partNumber) continue;
      this.readers.delete(id);
      void reader.then((r) => r.close()).catch(() => undefined);
    }
  }

  private async readShard(shardIndex: number, partNumber: number, layout: ShardLayout, block: number): Promise<Buffer | undefined> {
    const slot = this.slotOfShard[shardIndex];
    if (!this.usable[slot]) return undefined;
    try {
      const reader = await this.reader(slot, partNumber);
      const length = layout.shardLength(block);
      const frame = await reader.read(layout.frameOffset(block), BITROT_HASH_SIZE + length);
      return verifyShardBlock(frame, length);
    } catch (err) {
      this.usable[slot] = false;
      this.failed = true;
      if (err instanceof BitrotError) this.corrupt = true;
      return undefined;
    }
  }

  /** D verified shards of block `block` of part `partNumber` (fewer when too many sources fail). */
  async readShards(partNumber: number, layout: ShardLayout, block: number): Promise<BlockShards> {
    const { dataShards, parityShards } = this.quorum.version.erasure;
    const total = dataShards + parityShards;
    const shards: (Buffer | undefined)[] = new Array(total).fill(undefined);
    let next = 0;
    let have = 0;
    // Ask for exactly as many shards as are still needed, data shards first, until D verified ones are in.
    while (have < dataShards && next < total) {
      const batch: number[] = [];
      while (batch.length < dataShards - have && next < total) {
        if (this.usable[this.slotOfShard[next]]) batch.push(next);
        next++;
      }
      const got = await Promise.all(batch.map((i) => this.readShard(i, partNumber, layout, block)));
      got.forEach((shard, j) => {
        if (shard) {
          shards[batch[j]] = shard;
          have++;
        }
      });
    }
    return { shards, verified: have };
  }

  async close(): Promise<void> {
    for (const reader of this.readers.values()) {
      await reader.then((r) => r.close()).catch(() => undefined);
    }
  }
}

interface BlockJob {
  partNumber: number;
  layout: ShardLayout;
  block: number;
  /** Slice of the decoded block to yield. */
  from: number;
  to: number;
}

function* planBlocks(quorum: QuorumVersion, range: ByteRange): Generator<BlockJob> {
  const { blockSize, dataShards } = quorum.version.erasure;
  let partStart = 0;
  for (const part of quorum.version.parts) {
    const partEnd = partStart + part.size - 1;
    if (part.size > 0 && partEnd >= range.start && partStart <= range.end) {
      const layout = new ShardLayout(part.size, blockSize, dataShards);
      const from = Math.max(range.start, partStart) - partStart;
      const to = Math.min(range.end, partEnd) - partStart;
      for (let block = Math.floor(from / blockSize); block <= Math.floor(to / blockSize); block++) {
        const blockStart = block * blockSize;
        yield {
          partNumber: part.number,
          layout,
          block,
          from: Math.max(from - blockStart, 0),
          to: Math.min(to - blockStart, layout.blockDataLength(block) - 1),
        };
      }
    }
    partStart += part.size;
  }
}

/** Yields the bytes of `range` (default: all) of the quorum version, reading one block ahead. */
export async function* streamVersion(
  bucket: string,
  drives: Drive[],
  quorum: QuorumVersion,
  range?: ByteRange,
  /** Healing support: called at the end when a shard read failed (corrupt: one failed its hash). */
  onReadProblem?: (corrupt: boolean) => void,
): AsyncGenerator<Buffer> {
  const size = quorum.version.size;
  if (size === 0) return;
  const { dataShards, parityShards } = quorum.version.erasure;
  const sources = new ShardSources(
    bucket,
    drives,
    quorum,
    drives.map((d, slot) => quorum.holders[slot] && d.isOnline()),
  );
  const jobs = planBlocks(quorum, range ?? { start: 0, end: size - 1 });
  const fetch = async ({ partNumber, layout, block }: BlockJob): Promise<Buffer[]> => {
    const { shards, verified } = await sources.readShards(partNumber, layout, block);
    if (verified < dataShards) throw new ObjectLayerError('read-quorum', { message: 'Not enough healthy shards to read this object.' });
    return decodeBlock(shards, dataShards, parityShards, layout.blockDataLength(block));
  };
  try {
    let job = jobs.next();
    let current = job.done ? undefined : fetch(job.value);
    while (!job.done && current) {
      const following = jobs.next();
      const data = await current;
      current = following.done ? undefined : fetch(following.value);
      current?.catch(() => undefined);
      yield* slicePieces(data, job.value.from, job.value.to + 1);
      job = following;
    }
  } finally {
    await sources.close();
    if (sources.failed) onReadProblem?.(sources.corrupt);
  }
}
