/**
 * The shard readers a peer opened through one RPC session. A reader is known by a number that means
 * something only within that session, and every reader closes with it, so a number can never reach a
 * file some other caller opened, and a reader (which keeps its data directory from being removed, see
 * DataDirPins) never outlives the peer that forgot it.
 */
import { DriveError, type ShardReader } from '../storage/drive.js';

/** Readers one session may hold open at once (each holds a file descriptor). */
const MAX_OPEN_READERS = 4096;

interface OpenReader {
  reader: ShardReader;
  lastUsed: number;
}

export class SessionReaders {
  private lastHandle = 0;
  private readonly open = new Map<number, OpenReader>();
  private ended = false;

  /** Fails (closing `reader`) when the session holds too many, or has ended while the reader was being opened. */
  async add(reader: ShardReader): Promise<number> {
    if (this.ended || this.open.size >= MAX_OPEN_READERS) {
      await reader.close();
      throw new DriveError('faulty', this.ended ? 'the session ended' : `too many shard files open for one peer (${MAX_OPEN_READERS})`);
    }
    this.open.set(++this.lastHandle, { reader, lastUsed: Date.now() });
    return this.lastHandle;
  }

  get(handle: unknown): ShardReader {
    const open = typeof handle === 'number' ? this.open.get(handle) : undefined;
    if (!open) throw new DriveError('invalid', `no shard reader ${typeof handle === 'number' ? handle : `(a ${typeof handle})`} in this session`);
    open.lastUsed = Date.now();
    return open.reader;
  }

  async close(handle: unknown): Promise<void> {
    const open = typeof handle === 'number' ? this.open.get(handle) : undefined;
    if (!open) return;
    this.open.delete(handle as number);
    await open.reader.close();
  }

  /** The session ended: every reader closes, and none opens any more. */
  end(): void {
    this.ended = true;
    this.closeIdle();
  }

  /** Closes the readers untouched since `cutoff` (ms since the epoch); all of them when omitted. */
  closeIdle(cutoff = Infinity): void {
    for (const [handle, open] of this.open) {
      if (open.lastUsed >= cutoff) continue;
      this.open.delete(handle);
      void open.reader.close().catch(() => undefined);
    }
  }
}
