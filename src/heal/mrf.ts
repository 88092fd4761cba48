/**
 * The MRF ("most recently failed") queue: objects that a write reached quorum on but missed drives
 * of, and objects a read found degraded (heal on read). One worker heals them one at a time, paced
 * against foreground traffic. Entries that could not be healed completely (a drive still offline)
 * come back later with exponential backoff, up to about an hour; after that the scanner takes over.
 *
 * The queue survives a restart: it is saved (debounced) as `mrf.json` in the system area of this
 * node's drives and merged back from all of them at start-up. It holds object names only, so it is
 * the same on one node or many: each node queues what its own requests saw.
 */
import { healObject, type HealResult } from '../erasure/heal.js';
import type { ErasureSet } from '../erasure/set.js';
import type { Drive } from '../storage/drive.js';
import type { HealStats } from './stats.js';
import type { Pacer } from './throttle.js';

export const MRF_FILE = 'mrf.json';
const SAVE_DELAY_MS = 1000;
const MAX_BACKOFF_MS = 5 * 60_000;
const MAX_ATTEMPTS: Record<QueueSource, number> = { mrf: 16, read: 3 };

export type QueueSource = 'mrf' | 'read';

export interface QueueEntry {
  set: number;
  bucket: string;
  key: string;
  deep: boolean;
  source: QueueSource;
  queued: number;
  attempts: number;
  notBefore: number;
}

interface SavedEntry {
  s: number;
  b: string;
  k: string;
  d?: 1;
  r?: 1;
  q: number;
}

export interface HealQueueOptions {
  sets: ErasureSet[];
  stats: HealStats;
  pacer: Pacer;
  capacity: number;
  /** Drives to keep the queue on: this node's online drives. */
  storage: () => Drive[];
  onResult?: (entry: QueueEntry, result: HealResult) => void;
}

export class HealQueue {
  private readonly entries = new Map<string, QueueEntry>();
  private wake?: () => void;
  private running?: Promise<void>;
  private readonly abort = new AbortController();
  private saveTimer?: NodeJS.Timeout;
  private saving: Promise<void> = Promise.resolve();
  /** What the worker is healing now. */
  current?: QueueEntry;

  constructor(private readonly options: HealQueueOptions) {}

  get length(): number {
    return this.entries.size + (this.current ? 1 : 0);
  }

  /** Queues an object; false when the queue is full. */
  add(set: number, bucket: string, key: string, source: QueueSource, deep = false): boolean {
    const id = `${set}\u0000${bucket}\u0000${key}`;
    const now = Date.now();
    const existing = this.entries.get(id);
    if (existing) {
      existing.deep ||= deep;
      if (source === 'mrf') existing.source = 'mrf';
      existing.notBefore = Math.min(existing.notBefore, now);
      this.wake?.();
      return true;
    }
    if (this.entries.size >= this.options.capacity) {
      this.options.stats.queueDropped++;
      return false;
    }
    this.entries.set(id, { set, bucket, key, deep, source, queued: now, attempts: 0, notBefore: now });
    this.options.stats.queued++;
    this.scheduleSave();
    this.wake?.();
    return true;
  }

  /** Merges the queue saved on the drives. */
  async load(): Promise<number> {
    const files = await Promise.all(this.options.storage().map((d) => d.readSysFile(MRF_FILE).catch(() => undefined)));
    let loaded = 0;
    for (const file of files) {
      if (!file) continue;
      let saved: { entries?: SavedEntry[] } | null;
      try {
        saved = JSON.parse(file.toString()) as { entries?: SavedEntry[] } | null;
      } catch {
        continue;
      }
      // A drive's file may hold anything (a peer can write it): take only well-formed entries.
      if (typeof saved !== 'object' || saved === null || !Array.isArray(saved.entries)) continue;
      for (const e of saved.entries) {
        if (typeof e !== 'object' || e === null) continue;
        if (typeof e.b !== 'string' || typeof e.k !== 'string' || !(e.s >= 0 && e.s < this.options.sets.length)) continue;
        const before = this.entries.size;
        this.add(e.s, e.b, e.k, e.r ? 'read' : 'mrf', e.d === 1);
        if (this.entries.size > before) loaded++;
      }
    }
    return loaded;
  }

  /** Makes every entry due now, those waiting out a backoff too (a drive they missed is back). */
  hurry(): void {
    const now = Date.now();
    for (const entry of this.entries.values()) entry.notBefore = Math.min(entry.notBefore, now);
    this.wake?.();
  }

  start(): void {
    this.running ??= this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.wake?.();
    await this.running;
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    await this.save();
  }

  private scheduleSave(): void {
    if (this.saveTimer || this.abort.signal.aborted) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      void this.save();
    }, SAVE_DELAY_MS);
    this.saveTimer.unref();
  }

  /** Writes the queue to every storage drive (one save at a time). */
  save(): Promise<void> {
    this.saving = this.saving.then(async () => {
      const all = [...this.entries.values()];
      if (this.current) all.push(this.current);
      const entries: SavedEntry[] = all.map((e) => ({
        s: e.set,
        b: e.bucket,
        k: e.key,
        q: e.queued,
        ...(e.deep ? { d: 1 as const } : {}),
        ...(e.source === 'read' ? { r: 1 as const } : {}),
      }));
      const data = entries.length > 0 ? Buffer.from(JSON.stringify({ version: 1, entries })) : undefined;
      await Promise.all(this.options.storage().map((d) => d.writeSysFile(MRF_FILE, data).catch(() => undefined)));
    });
    return this.saving;
  }

  private next(): { due?: QueueEntry; id?: string; wait: number } {
    const now = Date.now();
    let wait = 60_000;
    for (const [id, entry] of this.entries) {
      if (entry.notBefore <= now) return { due: entry, id, wait: 0 };
      wait = Math.min(wait, entry.notBefore - now);
    }
    return { wait };
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      const { due, id, wait } = this.next();
      if (!due || !id) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, wait);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = undefined;
        continue;
      }
      this.entries.delete(id);
      this.current = due;
      const started = Date.now();
      const result = await healObject(this.options.sets[due.set], due.bucket, due.key, { deep: due.deep, pace: this.options.pacer.block });
      this.current = undefined;
      this.options.stats.record(result, due.source === 'read' ? 'read' : 'mrf');
      this.options.onResult?.(due, result);
      const incomplete = result.outcome === 'failed' || result.outcome === 'partial' || (result.offlineDrives > 0 && result.outcome !== 'absent');
      if (incomplete && due.attempts + 1 < MAX_ATTEMPTS[due.source] && !this.entries.has(id)) {
        const attempts = due.attempts + 1;
        this.entries.set(id, { ...due, attempts, notBefore: Date.now() + Math.min(1000 * 2 ** attempts, MAX_BACKOFF_MS) });
      }
      this.scheduleSave();
      await this.options.pacer.afterObject(Date.now() - started, signal);
    }
  }
}

