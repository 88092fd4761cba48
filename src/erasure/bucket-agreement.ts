/** What the drives' entries of one bucket say together, for the pool and for heal. */
import type { BucketEntry } from '../storage/drive.js';

/**
 * The bucket the entries show: the creation time most of them agree on (the newest bucket on a tie),
 * and the newest configuration stamp among the entries of that bucket. An entry left by a deletion
 * that missed its drive, or by a creation that did, is of another bucket made under the same name:
 * its configuration is not this bucket's.
 */
export function agreedBucket(entries: BucketEntry[]): { created: number; configStamp: number } {
  let created = entries[0]?.created ?? 0;
  // Every write asks this of every drive's entry: the votes are counted only where the entries differ.
  if (entries.some((e) => e.created !== created)) {
    const votes = new Map<number, number>();
    for (const e of entries) votes.set(e.created, (votes.get(e.created) ?? 0) + 1);
    let most = 0;
    for (const [time, count] of votes) {
      if (count > most || (count === most && time > created)) [created, most] = [time, count];
    }
  }
  let configStamp = 0;
  for (const e of entries) if (e.created === created) configStamp = Math.max(configStamp, e.configStamp ?? 0);
  return { created, configStamp };
}

/** Every bucket the drives' lists name, with its entries from them (one per drive that has it). */
export function entriesByBucket(lists: BucketEntry[][]): Map<string, BucketEntry[]> {
  const byName = new Map<string, BucketEntry[]>();
  for (const list of lists) {
    for (const entry of list) {
      const entries = byName.get(entry.name);
      if (entries) entries.push(entry);
      else byName.set(entry.name, [entry]);
    }
  }
  return byName;
}

/** The configuration with the greatest stamp of those given. */
export function newestConfig<T extends { stamp: number } | undefined>(configs: T[]): NonNullable<T> | undefined {
  let newest: NonNullable<T> | undefined;
  for (const config of configs) if (config && (!newest || config.stamp > newest.stamp)) newest = config as NonNullable<T>;
  return newest;
}
