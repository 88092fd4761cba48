/**
 * Healing a replaced drive in full, and noticing replacements at run time.
 *
 * DriveHealer: a drive that came back empty (given its slot back by bootstrap, or reformatted by the
 * monitor below) or that returns after being away is walked object by object over its whole set, in
 * bucket and key order, healing each object. Progress (objects and bytes done, the estimate of the
 * total, errors, the last key done) is kept on the drive itself in `.tessera.sys/healing.json`, saved
 * about once a second, so a restart resumes after the last key saved; the file is removed when done.
 *
 * DriveMonitor: every few seconds this node's local drives are probed. A drive that went offline
 * (its format.json changed or vanished: wiped, swapped) and is still offline on the next check is
 * revived if its directory is now empty (a new disk: formatted into its slot) or holds its own
 * format again (the old disk is back), and then handed to the DriveHealer.
 */
import { healObject } from '../erasure/heal.js';
import type { ErasureSet } from '../erasure/set.js';
import type { Drive } from '../storage/drive.js';
import { isDriveFormat, sameLayout, type DriveFormat } from '../storage/format.js';
import { REVIVE_REFUSALS, type LocalDrive, type ReviveOutcome } from '../storage/local-drive.js';
import { justAfter } from '../storage/names.js';
import { countKeys, ensureBuckets, poolBuckets, setKeys } from './listing.js';
import type { HealStats } from './stats.js';
import type { Pacer } from './throttle.js';

export const HEALING_FILE = 'healing.json';
const SAVE_EVERY_MS = 1000;

/** The file is the drive's, and a drive can be written by a peer: trust nothing about its shape. */
function isHealingProgress(value: unknown): value is HealingProgress {
  const p = value as HealingProgress;
  const optionalString = (v: unknown): boolean => v === undefined || typeof v === 'string';
  return (
    typeof p === 'object' && p !== null && p.version === 1 &&
    Array.isArray(p.buckets) && p.buckets.every((b) => typeof b === 'string') &&
    optionalString(p.bucket) && optionalString(p.lastKey) && optionalString(p.finished) &&
    [p.set, p.slot, p.objectsTotal, p.objectsDone, p.objectsHealed, p.objectsFailed, p.bytesDone].every((n) => Number.isFinite(n))
  );
}

export interface HealingProgress {
  version: 1;
  drive: string;
  set: number;
  slot: number;
  /** `replaced`: came back empty; `returned`: came back with its old contents. */
  reason: 'replaced' | 'returned';
  started: string;
  updated: string;
  finished?: string;
  /** Buckets to walk, in order; the one being walked and the last key done in it. */
  buckets: string[];
  bucket?: string;
  lastKey?: string;
  /** Estimate (keys on a healthy drive of the set when the heal started). */
  objectsTotal: number;
  objectsDone: number;
  objectsHealed: number;
  objectsFailed: number;
  /** Shard bytes written to this drive. */
  bytesDone: number;
  lastError?: string;
  /** How many times the heal was resumed after a restart. */
  resumed: number;
}

interface Job {
  drive: Drive;
  set: number;
  slot: number;
  progress: HealingProgress;
  abort: AbortController;
  done: Promise<void>;
}

export interface DriveHealerOptions {
  sets: ErasureSet[];
  drives: Drive[];
  stats: HealStats;
  pacer: Pacer;
  /** Objects healed at once (one while foreground requests run). */
  workers?: number;
  log: (line: string) => void;
}

export class DriveHealer {
  private readonly jobs = new Map<Drive, Job>();
  /** Heals finished since start-up (last few). */
  readonly finished: HealingProgress[] = [];

  constructor(private readonly options: DriveHealerOptions) {}

  private locate(drive: Drive): { set: number; slot: number } | undefined {
    for (let set = 0; set < this.options.sets.length; set++) {
      const slot = this.options.sets[set].drives.indexOf(drive);
      if (slot >= 0) return { set, slot };
    }
    return undefined;
  }

  /** Progress of the heals running now. */
  active(): HealingProgress[] {
    return [...this.jobs.values()].map((j) => ({ ...j.progress }));
  }

  isHealing(drive: Drive): boolean {
    return this.jobs.has(drive);
  }

  progressOf(drive: Drive): HealingProgress | undefined {
    const job = this.jobs.get(drive);
    return job ? { ...job.progress } : undefined;
  }

  /** Resumes heals whose progress file is on one of `drives` (this node's drives). */
  async resume(drives: Drive[]): Promise<void> {
    for (const drive of drives) {
      if (this.jobs.has(drive) || !drive.isOnline()) continue;
      const raw = await drive.readSysFile(HEALING_FILE).catch(() => undefined);
      if (!raw) continue;
      let progress: unknown;
      try {
        progress = JSON.parse(raw.toString());
      } catch {
        continue;
      }
      if (!isHealingProgress(progress) || progress.finished) continue;
      progress.resumed = (progress.resumed ?? 0) + 1;
      this.options.log(
        `resuming the heal of ${drive.endpoint}: ${progress.objectsDone} of ~${progress.objectsTotal} objects done` +
          (progress.bucket ? `, continuing in bucket ${progress.bucket} after ${JSON.stringify(progress.lastKey ?? '')}` : ''),
      );
      this.run(drive, progress);
    }
  }

  /** Starts a full heal of `drive` (a no-op while one runs). */
  async begin(drive: Drive, reason: HealingProgress['reason']): Promise<void> {
    if (this.jobs.has(drive)) return;
    const at = this.locate(drive);
    if (!at) return;
    const now = new Date().toISOString();
    const progress: HealingProgress = {
      version: 1,
      drive: drive.endpoint,
      set: at.set,
      slot: at.slot,
      reason,
      started: now,
      updated: now,
      buckets: [],
      objectsTotal: 0,
      objectsDone: 0,
      objectsHealed: 0,
      objectsFailed: 0,
      bytesDone: 0,
      resumed: 0,
    };
    await drive.writeSysFile(HEALING_FILE, Buffer.from(JSON.stringify(progress))).catch(() => undefined);
    this.options.log(`healing ${drive.endpoint} (${reason}) from the other drives of set ${at.set + 1}`);
    this.run(drive, progress);
  }

  private run(drive: Drive, progress: HealingProgress): void {
    const at = this.locate(drive);
    if (!at) return;
    const job: Job = { drive, ...at, progress, abort: new AbortController(), done: Promise.resolve() };
    this.jobs.set(drive, job);
    job.done = this.heal(job)
      .catch((err: unknown) => {
        progress.lastError = (err as Error).message;
        this.options.log(`heal of ${drive.endpoint} stopped: ${(err as Error).message}`);
      })
      .finally(() => {
        if (this.jobs.get(drive) === job) this.jobs.delete(drive);
      });
  }

  async stop(): Promise<void> {
    for (const job of this.jobs.values()) job.abort.abort();
    await Promise.all([...this.jobs.values()].map((j) => j.done));
  }

  private async save(job: Job): Promise<void> {
    job.progress.updated = new Date().toISOString();
    await job.drive.writeSysFile(HEALING_FILE, Buffer.from(JSON.stringify(job.progress)));
  }

  private async heal(job: Job): Promise<void> {
    const { drive, progress, abort } = job;
    const set = this.options.sets[job.set];
    const { stats, pacer } = this.options;
    await ensureBuckets(drive, this.options.drives);
    if (progress.buckets.length === 0) {
      progress.buckets = await poolBuckets(this.options.drives);
      // Estimate the work from the healthiest other drive of the set.
      const reference = set.drives.find((d) => d !== drive && d.isOnline() && !this.jobs.has(d)) ?? set.drives.find((d) => d !== drive && d.isOnline());
      if (reference) {
        for (const bucket of progress.buckets) progress.objectsTotal += await countKeys(reference, bucket).catch(() => 0);
      }
      await this.save(job);
    }
    let lastSave = Date.now();
    const workers = this.options.workers ?? 1;
    const start = progress.bucket ? Math.max(0, progress.buckets.indexOf(progress.bucket)) : 0;
    for (let b = start; b < progress.buckets.length; b++) {
      const bucket = progress.buckets[b];
      const from = progress.bucket === bucket && progress.lastKey !== undefined ? justAfter(progress.lastKey) : undefined;
      if (progress.bucket !== bucket) {
        progress.bucket = bucket;
        progress.lastKey = undefined;
      }
      // Several objects at once; `lastKey` only moves past a key once every key before it is done.
      const window: { key: string; done: boolean }[] = [];
      const running = new Set<Promise<void>>();
      let failure: Error | undefined;
      const healOne = async (entry: { key: string; done: boolean }): Promise<void> => {
        const t0 = Date.now();
        const result = await healObject(set, bucket, entry.key, { pace: pacer.block });
        stats.record(result, 'drive');
        progress.objectsDone++;
        progress.bytesDone += result.bytesPerDrive[job.slot];
        if (result.after[job.slot] === 'healed') progress.objectsHealed++;
        if (result.after[job.slot] === 'failed' || result.after[job.slot] === 'offline') {
          progress.objectsFailed++;
          progress.lastError = `${bucket}/${entry.key}: ${result.reasons[0] ?? result.after[job.slot]}`;
        }
        entry.done = true;
        while (window.length > 0 && window[0].done) progress.lastKey = window.shift()!.key;
        if (Date.now() - lastSave >= SAVE_EVERY_MS) {
          lastSave = Date.now();
          await this.save(job).catch(() => undefined);
        }
        await pacer.afterObject(Date.now() - t0, abort.signal);
      };
      for await (const key of setKeys(set, bucket, '', from)) {
        if (abort.signal.aborted || failure) break;
        if (!drive.isOnline()) {
          failure = new Error(`${drive.endpoint} went offline`);
          break;
        }
        const entry = { key, done: false };
        window.push(entry);
        const task: Promise<void> = healOne(entry).catch((err: unknown) => {
          failure = err as Error;
        });
        running.add(task);
        void task.finally(() => running.delete(task));
        while (running.size >= (pacer.busy ? 1 : workers)) await Promise.race(running);
      }
      await Promise.all(running);
      if (failure) throw failure;
      if (abort.signal.aborted) {
        await this.save(job).catch(() => undefined);
        return;
      }
    }
    if (abort.signal.aborted) {
      await this.save(job).catch(() => undefined);
      return;
    }
    progress.finished = new Date().toISOString();
    progress.bucket = undefined;
    progress.lastKey = undefined;
    await drive.writeSysFile(HEALING_FILE, undefined);
    if (this.jobs.get(drive) === job) this.jobs.delete(drive);
    this.finished.push({ ...progress });
    if (this.finished.length > 10) this.finished.shift();
    this.options.log(
      `healed ${drive.endpoint}: ${progress.objectsDone} objects looked at, ${progress.objectsHealed} healed, ` +
        `${progress.objectsFailed} failed, ${(progress.bytesDone / 1048576).toFixed(1)} MiB written`,
    );
  }
}

export interface DriveMonitorOptions {
  sets: ErasureSet[];
  /** This node's drives. */
  local: LocalDrive[];
  /** Every drive of the pool (to read the deployment's format from). */
  drives: Drive[];
  intervalMs: number;
  log: (line: string) => void;
  onRevived: (drive: LocalDrive, how: 'reformatted' | 'reopened') => void;
}

export class DriveMonitor {
  private readonly offlineChecks = new Map<LocalDrive, number>();
  /**
   * The last format a majority agreed on: when most drives are offline at once (a single node whose
   * drives went offline together), no majority is left to ask, and none could otherwise come back.
   */
  private lastReference?: DriveFormat;
  private timer?: NodeJS.Timeout;
  private checking?: Promise<void>;
  private stopped = false;

  constructor(private readonly options: DriveMonitorOptions) {}

  start(): void {
    const tick = (): void => {
      if (this.stopped) return;
      this.checking = this.check()
        .catch((err: unknown) => this.options.log(`drive monitor: ${(err as Error).message}`))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.options.intervalMs);
        });
    };
    this.timer = setTimeout(tick, this.options.intervalMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.checking;
  }

  private slotOf(drive: Drive): { set: number; slot: number } | undefined {
    for (let set = 0; set < this.options.sets.length; set++) {
      const slot = this.options.sets[set].drives.indexOf(drive);
      if (slot >= 0) return { set, slot };
    }
    return undefined;
  }

  /** The deployment's format as a majority of the other online drives hold it (or last held it). */
  private async referenceFormat(except: Drive): Promise<DriveFormat | undefined> {
    const others = this.options.drives.filter((d) => d !== except && d.isOnline());
    const formats = (await Promise.all(others.map((d) => d.readFormat().catch(() => undefined)))).filter((f): f is DriveFormat => isDriveFormat(f));
    for (const candidate of formats) {
      const agreeing = formats.filter((f) => sameLayout(f, candidate)).length;
      if (agreeing > this.options.drives.length / 2 || (agreeing === formats.length && agreeing > 0 && agreeing >= this.options.drives.length / 2)) {
        this.lastReference = candidate;
        return candidate;
      }
    }
    return this.lastReference;
  }

  /** One round: probe the online drives (and learn the deployment's format), revive the ones offline for two rounds. */
  async check(): Promise<void> {
    if (!this.lastReference && this.options.local.length > 0) await this.referenceFormat(this.options.local[0]);
    await this.checkDrives();
  }

  private async checkDrives(): Promise<void> {
    for (const drive of this.options.local) {
      if (this.stopped) return;
      if (drive.isOnline()) {
        await drive.probe();
        if (drive.isOnline()) {
          this.offlineChecks.delete(drive);
          continue;
        }
      }
      const seen = (this.offlineChecks.get(drive) ?? 0) + 1;
      this.offlineChecks.set(drive, seen);
      if (seen < 2) continue;
      const at = this.slotOf(drive);
      if (!at) continue;
      const reference = await this.referenceFormat(drive);
      if (!reference) continue;
      const driveId = reference.sets[at.set]?.[at.slot];
      if (!driveId) continue;
      let how: ReviveOutcome;
      try {
        how = await drive.revive(reference, driveId);
      } catch (err) {
        if (seen === 2) this.options.log(`cannot bring ${drive.endpoint} back: ${(err as Error).message}`);
        continue;
      }
      if (how === 'reformatted' || how === 'reopened') {
        this.offlineChecks.delete(drive);
        this.options.log(how === 'reformatted' ? `${drive.endpoint} is a new, empty drive: formatted into its slot (set ${at.set + 1}, drive ${at.slot + 1})` : `${drive.endpoint} is back`);
        this.options.onRevived(drive, how);
      } else if (seen === 2) {
        const why = REVIVE_REFUSALS[how];
        if (why) this.options.log(`${drive.endpoint} stays offline: ${why}`);
      }
    }
  }
}

