/**
 * What the heal workers walk: every key that ANY drive of a set has a record for (a listing of the
 * set would hide exactly the objects that need healing), and the buckets of the pool.
 */
import { compareKeys, justAfter } from '../storage/names.js';
import type { ErasureSet } from '../erasure/set.js';
import type { BucketConfig } from '../meta/bucket-config.js';
import { agreedBucket, entriesByBucket } from '../erasure/bucket-agreement.js';
import { DriveError, type BucketEntry, type Drive } from '../storage/drive.js';
import { log } from '../log.js';

const PAGE = 500;

class KeyCursor {
  private keys: string[] = [];
  private next: Buffer | undefined;
  private done = false;

  constructor(
    private readonly drive: Drive,
    private readonly bucket: string,
    private readonly prefix: string,
    from: Buffer | undefined,
  ) {
    this.next = from;
  }

  async peek(): Promise<string | undefined> {
    while (this.keys.length === 0 && !this.done) {
      if (!this.drive.isOnline()) {
        this.done = true;
        break;
      }
      try {
        this.keys = await this.drive.listRecordKeys(this.bucket, { prefix: this.prefix, from: this.next, limit: PAGE });
      } catch (err) {
        // A refused argument is a bug of ours, not a failing drive: a walk that ended here would skip keys silently.
        if (err instanceof DriveError && err.kind === 'invalid') throw err;
        this.keys = [];
        this.done = true;
        break;
      }
      if (this.keys.length < PAGE) this.done = true;
      if (this.keys.length > 0) this.next = justAfter(this.keys[this.keys.length - 1]);
    }
    return this.keys[0];
  }

  advance(): void {
    this.keys.shift();
  }
}

/**
 * Every key under `prefix` in `bucket` that any online drive of the set has, in key order, from
 * `from` (inclusive, raw key bytes). Drives that fail while listing are skipped.
 */
export async function* setKeys(set: ErasureSet, bucket: string, prefix = '', from?: Buffer): AsyncGenerator<string> {
  const cursors = set.drives.map((d) => new KeyCursor(d, bucket, prefix, from));
  for (;;) {
    let smallest: string | undefined;
    const heads = await Promise.all(cursors.map((c) => c.peek()));
    for (const head of heads) if (head !== undefined && (smallest === undefined || compareKeys(head, smallest) < 0)) smallest = head;
    if (smallest === undefined) return;
    heads.forEach((head, i) => head === smallest && cursors[i].advance());
    yield smallest;
  }
}

/** Counts the keys one drive has in `bucket` (an estimate of a set's object count). */
export async function countKeys(drive: Drive, bucket: string): Promise<number> {
  let count = 0;
  let from: Buffer | undefined;
  for (;;) {
    const keys = await drive.listRecordKeys(bucket, { prefix: '', from, limit: 1000 });
    count += keys.length;
    if (keys.length < 1000) return count;
    from = justAfter(keys[keys.length - 1]);
  }
}

export interface PoolBucket {
  name: string;
  created: number;
  /** Drives that have the bucket entry, of those that answered. */
  count: number;
  /** The newest stamp of the bucket's configuration any drive shows (0: none). */
  configStamp: number;
}

/** Buckets any drive knows, with how many drives have each; `answered` is how many drives answered. */
export async function surveyBuckets(
  drives: Drive[],
): Promise<{ buckets: PoolBucket[]; answered: number; lists: (string[] | undefined)[]; entries: (Map<string, BucketEntry> | undefined)[] }> {
  const answers = await Promise.all(drives.map((d) => d.listBuckets().catch(() => undefined)));
  const byName = entriesByBucket(answers.filter((l): l is BucketEntry[] => l !== undefined));
  const buckets = [...byName]
    .map(([name, of]): PoolBucket => ({ name, count: of.length, ...agreedBucket(of) }))
    .sort((a, b) => compareKeys(a.name, b.name));
  const created = new Map(buckets.map((b) => [b.name, b.created]));
  // A drive whose entry is of another bucket made under the name lacks this one.
  const lists = answers.map((l) => l?.filter((e) => e.created === created.get(e.name)).map((e) => e.name));
  const entries = answers.map((l) => l && new Map(l.map((e) => [e.name, e])));
  return { buckets, answered: answers.filter(Boolean).length, lists, entries };
}

/** The stamp of the configuration a drive's entries show for `bucket` (0: none, or not that bucket). */
function configStampOn(entries: Map<string, BucketEntry> | undefined, bucket: PoolBucket): number {
  const entry = entries?.get(bucket.name);
  return entry?.created === bucket.created ? (entry.configStamp ?? 0) : 0;
}

/**
 * Gives the drives in `slots` the bucket's newest configuration they lack: the newest any drive
 * gives (where every copy of the newest stamp is damaged, the newest readable one), to the drives
 * showing an older stamp or a damaged copy. A drive keeps only a configuration at least as new as
 * its own, so this races no change. Returns how many drives took it.
 */
async function spreadBucketConfig(drives: Drive[], bucket: PoolBucket, entries: (Map<string, BucketEntry> | undefined)[], slots: number[]): Promise<number> {
  if (bucket.configStamp === 0) return 0;
  const stampOn = (i: number): number => configStampOn(entries[i], bucket);
  const holders = drives.map((_, i) => i).filter((i) => stampOn(i) > 0).sort((a, b) => stampOn(b) - stampOn(a));
  const damaged = new Set<number>();
  let newest: BucketConfig | undefined;
  for (const i of holders) {
    newest = await drives[i].readBucketConfig(bucket.name, bucket.created).catch((err: unknown) => {
      if (err instanceof DriveError && err.kind === 'damaged') damaged.add(i);
      return undefined;
    });
    if (newest) break;
  }
  if (!newest) throw new Error(`no drive gives the configuration of bucket ${bucket.name}`);
  const config = newest;
  let given = 0;
  for (const i of slots.filter((slot) => stampOn(slot) < config.stamp || damaged.has(slot))) {
    if (await drives[i].writeBucketConfig(bucket.name, bucket.created, config)) given++;
  }
  return given;
}

export interface BucketHealResult {
  bucket: string;
  /** Drives the bucket entry was created on. */
  created: number;
  /** Drives given the bucket's newest configuration. */
  configured?: number;
  /** Drives a dangling bucket entry was removed from. */
  removed: number;
  state: 'ok' | 'healed' | 'removed' | 'failed' | 'would-heal' | 'would-remove';
  error?: string;
}

/**
 * Buckets a pool has (at least half of its drives have the entry) are created on the drives that
 * lack them (a replaced drive first of all). An entry on fewer than half the drives, while every
 * drive answered, is the remains of a failed create or delete; it is removed where it holds no object.
 */
export async function healBuckets(drives: Drive[], options: { dryRun?: boolean; only?: string; settleMs?: number } = {}): Promise<BucketHealResult[]> {
  const first = await surveyBuckets(drives);
  const half = Math.ceil(drives.length / 2);
  const unsettled = (names: (string[] | undefined)[], name: string): boolean => names.some((list) => list !== undefined && !list.includes(name));
  let survey = first;
  if (!options.dryRun && first.buckets.some((b) => unsettled(first.lists, b.name))) {
    // A bucket being created or deleted right now looks exactly like one to heal: look again a
    // moment later and touch only what stayed the same.
    await new Promise((r) => setTimeout(r, options.settleMs ?? 2000));
    survey = await surveyBuckets(drives);
  }
  const { buckets, answered, lists, entries } = survey;
  const signature = (l: (string[] | undefined)[], name: string): string => l.map((x) => (x === undefined ? '?' : x.includes(name) ? '1' : '0')).join('');
  const out: BucketHealResult[] = [];
  for (const bucket of buckets) {
    if (options.only !== undefined && bucket.name !== options.only) continue;
    if (survey !== first && signature(first.lists, bucket.name) !== signature(lists, bucket.name)) continue;
    const result: BucketHealResult = { bucket: bucket.name, created: 0, removed: 0, state: 'ok' };
    out.push(result);
    const has = (i: number): boolean => lists[i]?.includes(bucket.name) ?? false;
    if (bucket.count >= half) {
      const answering = drives.map((_, i) => i).filter((i) => lists[i] !== undefined);
      const missing = answering.filter((i) => !has(i));
      if (missing.length === 0 && answering.every((i) => configStampOn(entries[i], bucket) === bucket.configStamp)) continue;
      if (options.dryRun) {
        result.state = 'would-heal';
        continue;
      }
      for (const i of missing) {
        try {
          await drives[i].makeBucket(bucket.name, bucket.created);
          result.created++;
        } catch (err) {
          result.error = (err as Error).message;
        }
      }
      try {
        result.configured = await spreadBucketConfig(drives, bucket, entries, answering);
      } catch (err) {
        result.error = (err as Error).message;
      }
      result.state = result.error ? 'failed' : 'healed';
    } else if (answered === drives.length) {
      // Every entry under the name goes, whichever bucket made it.
      const holders = drives.map((_, i) => i).filter((i) => entries[i]?.has(bucket.name) ?? false);
      if (options.dryRun) {
        result.state = 'would-remove';
        continue;
      }
      for (const i of holders) {
        try {
          // A drive still holding records of the bucket keeps it (deleteBucket checks in the same step).
          if (await drives[i].deleteBucket(bucket.name)) result.removed++;
        } catch (err) {
          result.error = (err as Error).message;
        }
      }
      result.state = result.error ? 'failed' : result.removed > 0 ? 'removed' : 'ok';
    }
  }
  return out;
}

/** Buckets of the pool worth walking: on at least half of the drives. */
export async function poolBuckets(drives: Drive[]): Promise<string[]> {
  const { buckets } = await surveyBuckets(drives);
  const half = Math.ceil(drives.length / 2);
  return buckets.filter((b) => b.count >= half).map((b) => b.name);
}

/** Gives `drive` the entries of the pool's buckets (on at least half the drives) it lacks: the first step of healing it. */
export async function ensureBuckets(drive: Drive, drives: Drive[]): Promise<void> {
  const { buckets, lists, entries } = await surveyBuckets(drives);
  const slot = drives.indexOf(drive);
  const mine = lists[slot];
  if (mine === undefined) throw new Error(`${drive.endpoint} does not answer`);
  const half = Math.ceil(drives.length / 2);
  for (const bucket of buckets) {
    if (bucket.count < half) continue;
    if (!mine.includes(bucket.name)) await drive.makeBucket(bucket.name, bucket.created);
    // The bucket's configuration is worth a retry at the next heal, not the rest of this one.
    await spreadBucketConfig(drives, bucket, entries, [slot]).catch((err: Error) => log.error(`heal of ${drive.endpoint}: ${err.message}`));
  }
}
