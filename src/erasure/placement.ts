/** Where an object lives: which erasure set, and which shard index each of the set's drives holds. */
import { xxh64Value } from '../codec/xxhash.js';

function seedFrom(deploymentId: string): bigint {
  return xxh64Value(Buffer.from(deploymentId));
}

/** The erasure set of `key`: a hash keyed by the deployment id, so the spread differs per deployment. */
export function setIndexFor(key: string, deploymentId: string, setCount: number): number {
  if (setCount === 1) return 0;
  return Number(xxh64Value(Buffer.from(key), seedFrom(deploymentId)) % BigInt(setCount));
}

/**
 * distribution[slot] = 1-based shard index held by the drive at `slot`: a rotation of 1..n starting at
 * a hash of the key, so data shards of different objects land on different drives.
 */
export function shardDistribution(key: string, driveCount: number): number[] {
  const start = Number(xxh64Value(Buffer.from(key)) % BigInt(driveCount));
  return Array.from({ length: driveCount }, (_, slot) => ((slot + driveCount - start) % driveCount) + 1);
}
