/**
 * Buckets this node has recently seen exist. Asking whether a bucket exists costs a call to every
 * drive (a round trip to every peer), which reads would otherwise pay each time; a bucket seen within
 * BUCKET_TRUST_MS is taken as existing instead. Nothing depends on the answer being right: a bucket is
 * deleted only when empty, so a read that trusted a deleted one finds nothing, and the object layer
 * then asks the drives again (ErasurePool.inKnownBucket): a bucket deleted through another node is
 * reported as NoSuchBucket at once. Writes never trust it (ErasurePool.putObject).
 */
import type { BucketInfo } from '../object/types.js';

const BUCKET_TRUST_MS = 5_000;
/** Expired entries are swept once the map holds this many (buckets that exist are few; this bounds it anyway). */
const SWEEP_AT = 1_000;

export class KnownBuckets {
  private readonly seen = new Map<string, { info: BucketInfo; until: number }>();

  constructor(
    private readonly trustMs = BUCKET_TRUST_MS,
    private readonly now: () => number = Date.now,
  ) {}

  get(bucket: string): BucketInfo | undefined {
    const entry = this.seen.get(bucket);
    if (!entry) return undefined;
    if (entry.until > this.now()) return entry.info;
    this.seen.delete(bucket);
    return undefined;
  }

  remember(info: BucketInfo): void {
    if (this.seen.size >= SWEEP_AT) {
      const now = this.now();
      for (const [name, entry] of this.seen) if (entry.until <= now) this.seen.delete(name);
    }
    this.seen.set(info.name, { info, until: this.now() + this.trustMs });
  }

  forget(bucket: string): void {
    this.seen.delete(bucket);
  }
}
