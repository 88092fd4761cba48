/**
 * The healing subsystem of one server process: the MRF / heal-on-read queue, the background
 * scanner, the replaced-drive healer and its drive monitor, and admin heal sequences, wired to the
 * pool's erasure sets (hooks for partial writes and degraded reads) and paced against foreground
 * S3 traffic. `start()` after the pool is up; `stop()` before closing the drives.
 */
import type { ErasureSet } from '../erasure/set.js';
import { readQuorum, writeQuorum } from '../erasure/quorum.js';
import type { Drive } from '../storage/drive.js';
import { LocalDrive } from '../storage/local-drive.js';
import { healConfigFromEnv, type HealConfig } from './config.js';
import { DriveHealer, DriveMonitor, HEALING_FILE, type HealingProgress } from './drive-healer.js';
import { HealQueue } from './mrf.js';
import { Scanner } from './scanner.js';
import type { DriveInfo, HealingInfo, SetInfo } from './info-types.js';
import { HealSequences } from './sequence.js';
import { HealStats } from './stats.js';
import { Foreground, Pacer } from './throttle.js';
import { log } from '../log.js';

export interface HealManagerOptions {
  /** The pool's erasure sets, in order (an ErasurePool's `sets`). */
  sets: ErasureSet[];
  /** Endpoints of drives bootstrap gave their slot back to (PoolLayout.replaced): healed in full. */
  replaced?: string[];
  /** Default parity of the pool, for the tolerance figures of `info`. */
  parity: number;
  /** This node's name (host:port), for `info`. */
  node?: string;
  config?: HealConfig;
  log?: (line: string) => void;
  /** Scan set `i` on this node (a cluster gives each set to one node); default: every set. */
  shouldScan?: (set: number) => boolean;
}

function healingInfo(p: HealingProgress): HealingInfo {
  const remaining = Math.max(0, p.objectsTotal - p.objectsDone);
  return {
    reason: p.reason,
    started: p.started,
    updated: p.updated,
    ...(p.finished ? { finished: p.finished } : {}),
    objectsDone: p.objectsDone,
    objectsTotal: p.objectsTotal,
    objectsRemaining: remaining,
    objectsHealed: p.objectsHealed,
    objectsFailed: p.objectsFailed,
    bytesDone: p.bytesDone,
    percent: p.objectsTotal > 0 ? Math.min(100, Math.round((1000 * p.objectsDone) / p.objectsTotal) / 10) : 0,
    ...(p.bucket ? { bucket: p.bucket } : {}),
    ...(p.lastKey !== undefined ? { lastKey: p.lastKey } : {}),
    ...(p.lastError ? { lastError: p.lastError } : {}),
    resumed: p.resumed ?? 0,
  };
}

export class HealManager {
  readonly stats = new HealStats();
  readonly foreground = new Foreground();
  readonly config: HealConfig;
  readonly queue: HealQueue;
  readonly scanner: Scanner;
  readonly healer: DriveHealer;
  readonly monitor: DriveMonitor;
  readonly sequences: HealSequences;
  readonly sets: ErasureSet[];
  readonly drives: Drive[];
  readonly local: LocalDrive[];
  private readonly log: (line: string) => void;
  private started = false;

  constructor(private readonly options: HealManagerOptions) {
    this.config = options.config ?? healConfigFromEnv();
    this.log = options.log ?? ((line) => log.info(line));
    this.sets = options.sets;
    this.drives = options.sets.flatMap((s) => s.drives);
    this.local = this.drives.filter((d): d is LocalDrive => d instanceof LocalDrive);
    const { config, stats, foreground } = this;
    this.queue = new HealQueue({
      sets: this.sets,
      stats,
      pacer: new Pacer(foreground, () => config.mrfDelayMs),
      capacity: config.mrfCapacity,
      storage: () => this.local.filter((d) => d.isOnline()),
    });
    this.scanner = new Scanner({
      sets: this.sets,
      drives: this.drives,
      config,
      stats,
      pacer: new Pacer(foreground, () => config.scannerDelayMs),
      shouldScan: options.shouldScan,
      log: this.log,
    });
    this.healer = new DriveHealer({
      sets: this.sets,
      drives: this.drives,
      stats,
      pacer: new Pacer(foreground, () => config.driveHealDelayMs),
      workers: config.driveHealWorkers,
      log: this.log,
    });
    this.monitor = new DriveMonitor({
      sets: this.sets,
      local: this.local,
      drives: this.drives,
      intervalMs: config.monitorIntervalMs,
      log: this.log,
      // A drive that comes back with an unfinished heal of its own resumes it; otherwise a full heal starts.
      onRevived: (drive, how) =>
        void this.healer
          .resume(how === 'reopened' ? [drive] : [])
          .then(() => this.healer.begin(drive, how === 'reformatted' ? 'replaced' : 'returned'))
          .catch((err: unknown) => this.log(`cannot start healing ${drive.endpoint}: ${(err as Error).message}`)),
    });
    this.sequences = new HealSequences(this.sets, this.drives, stats, new Pacer(foreground, () => 0));
  }

  /** Hooks the sets up to the queue; loads the saved queue; resumes and starts drive heals; starts the workers. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.sets.forEach((set, index) => {
      set.healHooks = {
        partialWrite: (bucket, key) => void this.queue.add(index, bucket, key, 'mrf'),
        degradedRead: (bucket, key, corrupt) => {
          if (corrupt) this.stats.bitrotOnRead++;
          this.queue.add(index, bucket, key, 'read', corrupt);
        },
      };
    });
    const loaded = await this.queue.load();
    if (loaded > 0) this.log(`${loaded} object(s) from the saved heal queue`);
    if (!this.config.background) {
      this.log('background healing is off (TESSERA_HEAL=off): objects are queued but not healed until it is on again');
      return;
    }
    this.queue.start();
    await this.healer.resume(this.local);
    for (const endpoint of this.options.replaced ?? []) {
      const drive = this.drives.find((d) => d.endpoint === endpoint);
      if (drive && !this.healer.isHealing(drive)) await this.healer.begin(drive, 'replaced');
    }
    this.monitor.start();
    this.scanner.start();
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    for (const set of this.sets) set.healHooks = {};
    await this.monitor.stop();
    await this.sequences.stop();
    await this.scanner.stop();
    await this.healer.stop();
    await this.queue.stop();
  }

  /** Every drive with its state and (when healing) progress; a drive's own healing.json when another node heals it. */
  async driveInfo(): Promise<DriveInfo[]> {
    const out: DriveInfo[] = [];
    for (let set = 0; set < this.sets.length; set++) {
      const drives = this.sets[set].drives;
      const infos = await Promise.all(
        drives.map(async (drive, slot): Promise<DriveInfo> => {
          const local = drive instanceof LocalDrive;
          const base = { endpoint: drive.endpoint, set: set + 1, slot: slot + 1, local };
          if (!drive.isOnline()) return { ...base, state: 'offline' };
          const space = await drive.spaceInfo().catch(() => undefined);
          const withCapacity = space ? { ...base, capacity: { total: space.total, free: space.free, used: space.total - space.free } } : base;
          let progress = this.healer.progressOf(drive);
          if (!progress) {
            const raw = await drive.readSysFile(HEALING_FILE).catch(() => undefined);
            try {
              const parsed = raw ? (JSON.parse(raw.toString()) as HealingProgress) : undefined;
              if (parsed && !parsed.finished) progress = parsed;
            } catch {
              // unreadable progress: not shown
            }
          }
          return progress ? { ...withCapacity, state: 'healing', healing: healingInfo(progress) } : { ...withCapacity, state: 'online' };
        }),
      );
      out.push(...infos);
    }
    return out;
  }

  setInfo(drives: DriveInfo[]): SetInfo[] {
    return this.sets.map((set, index) => {
      const mine = drives.filter((d) => d.set === index + 1);
      const online = mine.filter((d) => d.state !== 'offline').length;
      const healthy = mine.filter((d) => d.state === 'online').length;
      const parity = Math.min(this.options.parity, Math.floor(set.drives.length / 2));
      const data = set.drives.length - parity;
      const rq = readQuorum(data);
      const wq = writeQuorum(data, parity);
      return {
        set: index + 1,
        drives: set.drives.length,
        online,
        healing: mine.filter((d) => d.state === 'healing').length,
        dataShards: data,
        parityShards: parity,
        readQuorum: rq,
        writeQuorum: wq,
        canLoseForRead: Math.max(0, healthy - rq),
        canLoseForWrite: Math.max(0, healthy - wq),
        readable: online >= rq,
        writable: online >= wq,
      };
    });
  }

  /** What `GET /tessera/admin/v1/info` answers. */
  async info() {
    // Taken before the drives' states, which take a while to gather: a heal that finishes meanwhile
    // then shows as healing still, never as finished beside a drive still healing.
    const healedSinceStart = this.healer.finished.map(healingInfo);
    const drives = await this.driveInfo();
    const sets = this.setInfo(drives);
    const thisNode = this.options.node ?? 'local';
    const nodes = new Map<string, DriveInfo[]>();
    for (const d of drives) {
      let node = thisNode;
      if (!d.local && /^https?:\/\//.test(d.endpoint)) {
        try {
          node = new URL(d.endpoint).host;
        } catch {
          // keep this node's name
        }
      }
      nodes.set(node, [...(nodes.get(node) ?? []), d]);
    }
    const { stats } = this;
    return {
      node: thisNode,
      nodes: [...nodes.entries()].map(([name, list]) => ({
        name,
        state: list.some((d) => d.state !== 'offline') ? 'online' : 'offline',
        drives: list,
      })),
      sets,
      drives: {
        total: drives.length,
        online: drives.filter((d) => d.state === 'online').length,
        healing: drives.filter((d) => d.state === 'healing').length,
        offline: drives.filter((d) => d.state === 'offline').length,
      },
      background: this.config.background,
      healQueue: {
        length: this.queue.length,
        ...(this.queue.current ? { current: { bucket: this.queue.current.bucket, key: this.queue.current.key } } : {}),
        dropped: stats.queueDropped,
      },
      scanner: { ...this.scanner.state },
      healSequences: this.sequences.list().slice(-5),
      totals: {
        objectsHealed: stats.healedTotal,
        healedBySource: stats.healed,
        healErrors: stats.healErrors,
        bitrotFound: stats.bitrotFound,
        bitrotOnRead: stats.bitrotOnRead,
        danglingRemoved: stats.danglingRemoved,
        bytesHealed: stats.bytesHealed,
        objectsScanned: stats.objectsScanned,
        orphansRemoved: stats.orphansRemoved,
      },
      drivesHealedSinceStart: healedSinceStart,
    };
  }
}
