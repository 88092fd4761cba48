/**
 * The background scanner: walks every object of every set (keys any drive has, so objects with a
 * missing or dangling record are seen too), heals whatever the drives disagree about, and on every
 * Nth cycle re-hashes every shard block (deep scan for bitrot). After a bucket's pass over a set it
 * removes orphan data directories: directories no record of the set names, last changed before the
 * pass started and longer ago than the orphan age (the remains of a crash between moving data into
 * place and committing its record, or of a failed cleanup). Only after a pass in which every drive
 * answered and every object's records were read: otherwise a live directory may look unnamed.
 *
 * Paced per object (TESSERA_SCANNER_DELAY_MS, plus as long as the object took while S3 requests are
 * in flight). Works on sets and drives only, so it is the same for one node or many; `shouldScan`
 * lets a cluster give each set to one node.
 */
import { askDrives } from '../erasure/fan-out.js';
import { healObject, type HealResult } from '../erasure/heal.js';
import type { ErasureSet } from '../erasure/set.js';
import type { Drive } from '../storage/drive.js';
import type { HealConfig } from './config.js';
import { healBuckets, poolBuckets, setKeys } from './listing.js';
import type { ScannerState } from './info-types.js';
import type { HealStats } from './stats.js';
import { pause, type Pacer } from './throttle.js';


export interface ScannerOptions {
  sets: ErasureSet[];
  /** Every drive of the pool (bucket entries live on all of them). */
  drives: Drive[];
  config: HealConfig;
  stats: HealStats;
  pacer: Pacer;
  shouldScan?: (set: number) => boolean;
  log?: (line: string) => void;
  onResult?: (result: HealResult) => void;
}

export class Scanner {
  private readonly abort = new AbortController();
  private running?: Promise<void>;
  private wake?: AbortController;
  private forceDeep = false;
  readonly state: ScannerState;

  constructor(private readonly options: ScannerOptions) {
    this.state = { enabled: options.config.scanner, active: false, cycle: 0, deep: false, objects: 0, healed: 0, failed: 0, removed: 0, orphansRemoved: 0 };
  }

  start(): void {
    if (!this.options.config.scanner) return;
    this.running ??= this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.wake?.abort();
    await this.running;
  }

  /** Starts the next cycle now (deep if asked) instead of after the interval. */
  trigger(deep = false): void {
    this.forceDeep ||= deep;
    this.wake?.abort();
  }

  private async sleep(ms: number): Promise<void> {
    this.wake = new AbortController();
    const both = AbortSignal.any([this.abort.signal, this.wake.signal]);
    await pause(ms, both);
    this.wake = undefined;
  }

  private async run(): Promise<void> {
    const { config } = this.options;
    this.state.nextCycle = new Date(Date.now() + config.scannerStartMs).toISOString();
    await this.sleep(config.scannerStartMs);
    while (!this.abort.signal.aborted) {
      try {
        await this.runCycle();
      } catch (err) {
        this.options.log?.(`scanner cycle failed: ${(err as Error).message}`);
      }
      if (this.abort.signal.aborted) break;
      this.state.nextCycle = new Date(Date.now() + config.scannerIntervalMs).toISOString();
      await this.sleep(config.scannerIntervalMs);
    }
  }

  /** One full pass over every set and bucket. */
  async runCycle(options: { deep?: boolean } = {}): Promise<void> {
    const { sets, drives, config, stats } = this.options;
    const state = this.state;
    state.cycle++;
    stats.scannerCycles++;
    state.deep = options.deep ?? (this.forceDeep || state.cycle % config.deepEvery === 0);
    this.forceDeep = false;
    Object.assign(state, { active: true, objects: 0, healed: 0, failed: 0, removed: 0, orphansRemoved: 0, set: undefined, bucket: undefined, lastKey: undefined });
    state.cycleStarted = new Date().toISOString();
    state.nextCycle = undefined;
    const started = Date.now();
    try {
      await healBuckets(drives);
      const buckets = await poolBuckets(drives);
      for (let s = 0; s < sets.length && !this.abort.signal.aborted; s++) {
        if (this.options.shouldScan && !this.options.shouldScan(s)) continue;
        for (const bucket of buckets) {
          if (this.abort.signal.aborted) break;
          state.set = s;
          state.bucket = bucket;
          await this.scanBucket(sets[s], bucket, state.deep);
        }
      }
    } finally {
      state.active = false;
      state.lastCycleFinished = new Date().toISOString();
      state.lastCycleSeconds = (Date.now() - started) / 1000;
    }
  }

  private async scanBucket(set: ErasureSet, bucket: string, deep: boolean): Promise<void> {
    const { stats, pacer } = this.options;
    const state = this.state;
    const passStart = Date.now();
    const allOnline = (): boolean => set.drives.every((d) => d.isOnline());
    let complete = allOnline();
    const referenced = new Set<string>();
    for await (const key of setKeys(set, bucket)) {
      if (this.abort.signal.aborted) return;
      const t0 = Date.now();
      const result = await healObject(set, bucket, key, { deep, pace: pacer.block });
      stats.record(result, 'scanner');
      stats.objectsScanned++;
      state.objects++;
      state.lastKey = key;
      if (result.after.includes('healed')) state.healed++;
      if (result.outcome === 'failed' || result.outcome === 'partial') state.failed++;
      state.removed += result.versionsRemoved;
      // What a drive that did not answer, or a heal that never read the records, refers to is unknown.
      if (!result.examined || result.offlineDrives > 0) complete = false;
      for (const dir of result.dataDirs) referenced.add(dir);
      this.options.onResult?.(result);
      await pacer.afterObject(Date.now() - t0, this.abort.signal);
    }
    if (complete && allOnline() && !this.abort.signal.aborted && (await this.addUploadDataDirs(set, bucket, referenced))) {
      await this.removeOrphans(set, bucket, referenced, passStart);
    }
  }

  /**
   * Adds the data directories of the bucket's open uploads, as any drive records them: a completion
   * cut short (a crash) leaves the parts there for its retry. False when a drive could not say.
   */
  private async addUploadDataDirs(set: ErasureSet, bucket: string, referenced: Set<string>): Promise<boolean> {
    const listed = await askDrives(set.drives, (drive) => drive.listUploads(bucket, ''));
    for (const uploads of listed.values()) for (const { record } of uploads) referenced.add(record.dataDir);
    return listed.failed === 0;
  }

  /** Removes data directories no record names that were last changed well before this pass began. */
  private async removeOrphans(set: ErasureSet, bucket: string, referenced: Set<string>, passStart: number): Promise<void> {
    const { config, stats } = this.options;
    const margin = Math.min(60_000, config.orphanAgeMs);
    const cutoff = Math.min(passStart - margin, Date.now() - config.orphanAgeMs);
    for (const drive of set.drives) {
      for (let p = 0; p < 256 && !this.abort.signal.aborted; p++) {
        const prefix = p.toString(16).padStart(2, '0');
        let entries;
        try {
          entries = await drive.listDataDirs(bucket, prefix);
        } catch {
          break;
        }
        for (const entry of entries) {
          if (referenced.has(entry.dataDir) || entry.changed >= cutoff) continue;
          try {
            await drive.deleteDataDir(bucket, entry.dataDir);
            stats.orphansRemoved++;
            this.state.orphansRemoved++;
            this.options.log?.(`removed orphan data directory ${bucket}/${prefix}/${entry.dataDir} on ${drive.endpoint}`);
          } catch {
            // left for the next cycle
          }
        }
      }
    }
  }
}
