/**
 * The fences of records a drive deleted. A record carries the fence of the lock holder that wrote it
 * (see lock/locker.ts), but a deleted record carries nothing, so the drive keeps its last fence for a
 * while: long enough to outlast any lease (a holder stops trusting its lease well within one). They
 * are kept in the drive's metadata store, written in the transaction that deletes the record (or bars
 * a lost commit, see Drive.settleCommit): a write queued right behind the delete sees the fence, and
 * no restart of the writer or the node forgets it. Expired ones are pruned a few with each new one
 * (so the table stays within about twice what ten minutes of deletes add) and more now and then.
 *
 * Every method runs inside a write transaction of the store.
 */
import type { Database } from 'lmdb';

const REMEMBER_MS = 10 * 60_000;
/** How many entries each new fence has pruned: more than one, so that pruning outpaces adding. */
const PRUNE_WITH_EACH = 4;

/** A fence and when it may be forgotten (ms since the epoch), as 16 bytes. */
function encode(fence: number, until: number): Buffer {
  const value = Buffer.alloc(16);
  value.writeDoubleBE(fence, 0);
  value.writeDoubleBE(until, 8);
  return value;
}

function decode(value: Buffer | undefined): { fence: number; until: number } | undefined {
  if (!value || value.length !== 16) return undefined;
  return { fence: value.readDoubleBE(0), until: value.readDoubleBE(8) };
}

export class DeletedRecordFences {
  /** Where the next prune resumes. */
  private pruneFrom?: Buffer;

  constructor(private readonly db: Database<Buffer, Buffer>) {}

  remember(name: Buffer, fence: number): void {
    this.db.putSync(name, encode(fence, Date.now() + REMEMBER_MS));
    this.prune(PRUNE_WITH_EACH);
  }

  forget(name: Buffer): void {
    this.db.removeSync(name);
  }

  /** The fence the record had when it was deleted; 0 when none is kept. */
  get(name: Buffer): number {
    const entry = decode(this.db.get(name));
    return entry && entry.until > Date.now() ? entry.fence : 0;
  }

  /** Removes the expired entries among the next `count` (in key order, resuming where the last prune stopped); returns how many. */
  prune(count: number): number {
    const now = Date.now();
    const expired: Buffer[] = [];
    let seen = 0;
    let last: Buffer | undefined;
    for (const { key, value } of this.db.getRange({ start: this.pruneFrom, limit: count })) {
      seen++;
      last = Buffer.from(key as Buffer);
      const entry = decode(value);
      if (!entry || entry.until <= now) expired.push(last);
    }
    for (const key of expired) this.db.removeSync(key);
    // Past the end: start over next time.
    this.pruneFrom = seen < count || !last ? undefined : Buffer.concat([last, Buffer.of(0)]);
    return expired.length;
  }
}
