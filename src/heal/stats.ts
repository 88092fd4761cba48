/** Counters of everything the heal workers did, for /tessera/metrics and `tessera admin info`. */
import type { HealResult } from '../erasure/heal.js';

export type HealSource = 'mrf' | 'read' | 'scanner' | 'drive' | 'admin';

export class HealStats {
  /** Objects on which at least one drive was healed, by source. */
  readonly healed: Record<HealSource, number> = { mrf: 0, read: 0, scanner: 0, drive: 0, admin: 0 };
  /** Heals that left something unhealed (failed or partial). */
  healErrors = 0;
  /** Shard files or inline shards found corrupt by heals (bitrot or wrong size). */
  bitrotFound = 0;
  /** Reads that met a shard failing its hash (each queues a deep heal). */
  bitrotOnRead = 0;
  danglingRemoved = 0;
  bytesHealed = 0;
  objectsScanned = 0;
  scannerCycles = 0;
  orphansRemoved = 0;
  /** Objects put in the MRF / heal-on-read queue (an object already waiting is not counted again). */
  queued = 0;
  queueDropped = 0;

  record(result: HealResult, source: HealSource, dryRun = false): void {
    this.bitrotFound += result.corruptShards;
    if (dryRun) return;
    if (result.after.includes('healed')) this.healed[source]++;
    if (result.outcome === 'failed' || result.outcome === 'partial') this.healErrors++;
    this.danglingRemoved += result.versionsRemoved;
    this.bytesHealed += result.bytesWritten;
  }

  get healedTotal(): number {
    return Object.values(this.healed).reduce((a, b) => a + b, 0);
  }
}
