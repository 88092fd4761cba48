/**
 * The package's public face: `startTessera()` runs a real Tessera server in this process, for tests
 * that want a real S3 endpoint, and lets them break its drives (offline, wiped, corrupt, slow) and
 * wait for healing. Nothing else is exported.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, open, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BITROT_HASH_SIZE } from './codec/bitrot.js';
import { healConfigFromEnv } from './heal/config.js';
import { lifecycleConfigFromEnv } from './lifecycle/worker.js';
import { configureLog, log as serverLog } from './log.js';
import { requestLimitsFromEnv } from './s3/limits-config.js';
import { startServer } from './server/start.js';
import { DriveFaults } from './storage/fault-injection.js';
import type { LocalDrive } from './storage/local-drive.js';

export interface TesseraCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface StartTesseraOptions {
  /** Where the drives go (as `drive1` ... `driveN`); default: a new temporary directory. */
  dir?: string;
  /** How many drives (one erasure set of up to 16); default 4. */
  drives?: number;
  /** Parity shards per object; default half the drives (EC 2+2 with 4 drives). */
  parity?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  /** Default us-east-1. */
  region?: string;
  /** Root credentials; default: generated at random. */
  credentials?: TesseraCredentials;
  /**
   * Receives the server's log lines (JSON, as `tessera server` writes them); default: none are shown.
   * The log is the process's: with several servers in one process, the last one started decides where all their lines go.
   */
  log?: (line: string) => void;
}

/** Plain data for `new S3Client(config)` from @aws-sdk/client-s3. */
export interface S3ClientConfig {
  endpoint: string;
  region: string;
  forcePathStyle: true;
  credentials: TesseraCredentials;
}

export interface AwaitHealingOptions {
  /** Default 30 000. */
  timeoutMs?: number;
}

export interface Tessera {
  /** e.g. http://127.0.0.1:41234 */
  endpoint: string;
  port: number;
  region: string;
  credentials: TesseraCredentials;
  /** A new copy at every use. */
  readonly s3: S3ClientConfig;
  /** The drive directories, in slot order. */
  drives: string[];

  /** Drive `index` answers every call as offline until bringDriveOnline. */
  takeDriveOffline(index: number): void;
  /** Ends takeDriveOffline; awaitHealing then gives the drive what it missed. */
  bringDriveOnline(index: number): void;
  /** Removes everything on drive `index`, as if its disk were replaced by an empty one. */
  wipeDrive(index: number): Promise<void>;
  /**
   * Flips bytes in the shard of `bucket/key`'s current version on drive `index` (default: the drive
   * holding the first data shard, which every whole-object GET reads); resolves with that index.
   * The object must be large enough to be stored in shard files (over 128 KiB).
   */
  corruptShard(bucket: string, key: string, index?: number): Promise<number>;
  /** Adds `ms` of latency to every call of drive `index` (0 removes it). */
  slowDrive(index: number, ms: number): void;
  /**
   * Resolves once the damage done through this handle is healed: wiped drives refilled, missed
   * writes given to returned drives, corrupt shards rewritten (by a GET that found them, or here).
   */
  awaitHealing(options?: AwaitHealingOptions): Promise<void>;

  /** Stops the server and removes the directories it created (only those). */
  stop(): Promise<void>;
}

/** How often the embedded server looks at its drives for being wiped or back (a server: every 10 s). */
const DRIVE_MONITOR_MS = 200;
const HEAL_POLL_MS = 25;

function randomCredentials(): TesseraCredentials {
  return {
    accessKeyId: `TESSERA${randomBytes(8).toString('hex').toUpperCase()}`,
    secretAccessKey: randomBytes(30).toString('base64url'),
  };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Creates `dir` if missing; true when it had to. */
async function makeDirectory(dir: string): Promise<boolean> {
  if (await exists(dir)) return false;
  await mkdir(dir, { recursive: true });
  return true;
}

export async function startTessera(options: StartTesseraOptions = {}): Promise<Tessera> {
  const created: string[] = [];
  let base: string;
  if (options.dir === undefined) {
    base = await mkdtemp(join(tmpdir(), 'tessera-'));
    created.push(base);
  } else {
    base = resolve(options.dir);
    if (await makeDirectory(base)) created.push(base);
  }
  const drivePaths = Array.from({ length: options.drives ?? 4 }, (_, i) => join(base, `drive${i + 1}`));
  if (created.length === 0) for (const path of drivePaths) if (!(await exists(path))) created.push(path);
  const removeCreated = (): Promise<unknown> => Promise.all(created.map((path) => rm(path, { recursive: true, force: true })));

  const credentials = options.credentials ?? randomCredentials();
  const region = options.region ?? 'us-east-1';
  const host = options.host ?? '127.0.0.1';
  const { log } = options;
  configureLog({ format: 'json', level: log ? undefined : 'silent', destination: { write: (line) => log?.(line.trimEnd()) } });
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer({
      drives: drivePaths,
      host,
      port: options.port ?? 0,
      root: { accessKey: credentials.accessKeyId, secretKey: credentials.secretAccessKey, userSource: 'default', passwordSource: 'default', isDefault: false },
      parity: options.parity,
      region,
      domains: [],
      corsOrigins: [],
      limits: requestLimitsFromEnv(),
      heal: { ...healConfigFromEnv(), monitorIntervalMs: DRIVE_MONITOR_MS },
      lifecycle: lifecycleConfigFromEnv(),
      log: (line) => serverLog.info(line),
      logError: (line) => serverLog.warn(line),
    });
  } catch (err) {
    await removeCreated();
    throw err;
  }
  const { pool, healing } = server;

  const drives: LocalDrive[] = drivePaths.map((_, i) => server.node.local.get(i)!);
  const faults = drives.map((drive) => (drive.faults = new DriveFaults()));
  const driveAt = (index: number): LocalDrive => {
    const drive = drives[index];
    if (!drive) throw new RangeError(`no drive ${index}: the drives are 0 to ${drives.length - 1}`);
    return drive;
  };
  const setOf = (drive: LocalDrive): number => pool.sets.findIndex((s) => s.drives.includes(drive));

  /** Drives whose full heal (after a wipe) must have started after the time given. */
  const refilling = new Map<LocalDrive, number>();
  /** Objects with a corrupt shard, healed (deep) by awaitHealing unless a GET found them first. */
  const corrupted: { set: number; bucket: string; key: string }[] = [];

  const endpoint = `http://${host.includes(':') ? `[${host}]` : host}:${server.port}`;
  return {
    endpoint,
    port: server.port,
    region,
    credentials,
    // A new object at every use: the SDK writes into the config it is given.
    get s3() {
      return { endpoint, region, forcePathStyle: true as const, credentials: { ...credentials } };
    },
    drives: drivePaths,

    takeDriveOffline(index) {
      driveAt(index);
      faults[index].offline = true;
    },
    bringDriveOnline(index) {
      driveAt(index);
      faults[index].offline = false;
    },
    slowDrive(index, ms) {
      driveAt(index);
      faults[index].latencyMs = Math.max(0, ms);
    },
    async wipeDrive(index) {
      const drive = driveAt(index);
      refilling.set(drive, Date.now());
      for (const entry of await readdir(drive.root)) await rm(join(drive.root, entry), { recursive: true, force: true });
    },
    async corruptShard(bucket, key, index) {
      const candidates = index === undefined ? drives.map((_, i) => i) : [index];
      for (const i of candidates) {
        const drive = driveAt(i);
        const version = (await drive.readRecord(bucket, key))?.versions[0];
        if (!version) continue;
        if (index === undefined && version.erasure.index !== 1) continue;
        if (!version.dataDir) throw new Error(`${bucket}/${key} is stored inline in its metadata (128 KiB or less): it has no shard file to corrupt`);
        const file = await open(join(drive.root, bucket, version.dataDir.slice(0, 2), version.dataDir, 'part.1'), 'r+');
        try {
          // The first byte after the first block's hash: the block no longer matches it.
          const byte = Buffer.alloc(1);
          await file.read(byte, 0, 1, BITROT_HASH_SIZE);
          byte[0] ^= 0xff;
          await file.write(byte, 0, 1, BITROT_HASH_SIZE);
        } finally {
          await file.close();
        }
        corrupted.push({ set: setOf(drive), bucket, key });
        return i;
      }
      throw new Error(`no drive${index === undefined ? '' : ` ${index}`} holds a shard of ${bucket}/${key}`);
    },

    async awaitHealing({ timeoutMs = 30_000 } = {}) {
      for (const { set, bucket, key } of corrupted.splice(0)) healing.queue.add(set, bucket, key, 'read', true);
      healing.queue.hurry();
      const deadline = Date.now() + timeoutMs;
      const pending = (): string[] => {
        const waiting: string[] = [];
        for (const [drive, since] of refilling) {
          const healed = healing.healer.finished.some((p) => p.drive === drive.endpoint && Date.parse(p.started) >= since);
          if (healed) refilling.delete(drive);
          else waiting.push(`the heal of wiped drive ${drive.root}`);
        }
        if (healing.queue.length > 0) waiting.push(`${healing.queue.length} object(s) in the heal queue`);
        for (const progress of healing.healer.active()) waiting.push(`the heal of ${progress.drive}`);
        return waiting;
      };
      for (let waiting = pending(); waiting.length > 0; waiting = pending()) {
        if (Date.now() > deadline) throw new Error(`healing not done after ${timeoutMs} ms: waiting for ${waiting.join(', ')}`);
        await sleep(HEAL_POLL_MS);
      }
    },

    async stop() {
      for (const fault of faults) {
        fault.offline = false;
        fault.latencyMs = 0;
      }
      await server.close(0);
      await removeCreated();
    },
  };
}
