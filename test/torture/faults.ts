/**
 * The fault schedule of a torture run: one fault at a time, at seeded random moments, each undone
 * before the next (a node restarted, a drive given back), so that a correct system never has more
 * drives hurt than its parity allows. Faults that destroy shards (wipe, flip) first heal the bucket,
 * so that earlier damage (a write acknowledged on write quorum only) is not counted twice.
 *
 *   kill       SIGKILL of a node at a random moment, restart after a moment
 *   crash      restart a node with a failpoint armed to SIGKILL it on the Nth pass through a named
 *              commit phase (src/failpoints.ts crash:N), restart it clean after it died
 *   pause      SIGSTOP of a node while a write to it is in flight, then SIGCONT (several nodes only):
 *              half of them for 4-6.5 s (past the peers' offline verdict), half for 16-18 s (past the
 *              15 s lock lease: its grants expire and others take its locks while it sleeps)
 *   writer     SIGABRT of a node's metadata writer process (src/storage/metadata-writer.ts) while a
 *              write to the node is in flight, as lmdb's native aborts under a failing drive end it
 *   read-only / vanish / wipe / flip / full   a drive, see drive-faults.ts
 */
import { existsSync } from 'node:fs';
import type { NodeProcess, TestCluster } from '../helpers/cluster.js';
import { metadataWriterOf, sleep } from '../helpers/cluster.js';
import { awayPath, fill, flipBytes, reappear, setImmutable, unfill, vanish, wipe } from './drive-faults.js';
import { healBucket, waitDrivesOnline } from './healing.js';
import { isMutation, type History, type MutationOp } from './history.js';
import type { Rng } from './rng.js';

export type FaultKind = 'kill' | 'crash' | 'pause' | 'writer' | 'read-only' | 'vanish' | 'wipe' | 'flip' | 'full';

/** Commit phases a crash can be armed at, with how many passes to let through at most. */
export const CRASH_POINTS: Record<string, number> = {
  'local-drive.commit.placed': 8,
  'erasure-set.commit.recorded': 8,
  'multipart.complete.committed': 3,
  'local-drive.commit-part.moved': 8,
};

export interface FaultOptions {
  bucket: string;
  weights: Partial<Record<FaultKind, number>>;
  /** Quiet time between faults (ms). */
  gapMs: [number, number];
}

export class FaultSchedule {
  private stopped = false;
  private running?: Promise<void>;

  constructor(
    private readonly cluster: TestCluster,
    private readonly history: History,
    private readonly options: FaultOptions,
  ) {}

  start(rng: Rng): void {
    this.running = this.loop(rng);
  }

  /** Lets the current fault finish (and be undone), then stops. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  private async loop(rng: Rng): Promise<void> {
    const weights = Object.fromEntries(Object.entries(this.options.weights).filter(([, w]) => (w ?? 0) > 0)) as Record<FaultKind, number>;
    if (Object.keys(weights).length === 0) return;
    for (;;) {
      const gap = rng.int(...this.options.gapMs);
      for (let t = 0; t < gap && !this.stopped; t += 100) await sleep(100);
      if (this.stopped) return;
      await this.inject(rng.weighted(weights), rng);
      await this.reviveDead();
    }
  }

  /**
   * A node that exited though no fault is under way died by itself (e.g. of a drive error): that is
   * logged as a `died` event with its last words, and the node is started again.
   */
  async reviveDead(): Promise<void> {
    for (const node of this.cluster.nodes) {
      if (node.running || !node.proc) continue;
      const { exitCode, signalCode } = node.proc;
      const lines = node.output.trim().split('\n');
      const error = lines.findIndex((l) => /Error|error:/.test(l));
      const lastWords = (error >= 0 ? lines.slice(error, error + 3) : lines.slice(-3)).map((l) => l.trim()).join(' | ').slice(0, 400);
      const event = this.history.fault('died', `node ${node.index + 1}`, this.history.now(), `exit ${exitCode ?? signalCode}: ${lastWords}`);
      await node.start().catch((e: Error) => (event.detail += `; restart failed: ${e.message.split('\n')[0]}`));
      event.end = this.history.now();
    }
  }

  private async inject(kind: FaultKind, rng: Rng): Promise<void> {
    const nodes = this.cluster.nodes;
    const node = rng.pick(nodes);
    const drive = node.drivePath(rng.int(0, this.cluster.drivesPerNode - 1));
    const event = this.history.fault(kind, kind === 'kill' || kind === 'crash' || kind === 'pause' || kind === 'writer' ? `node ${node.index + 1}` : drive.slice(this.cluster.dir.length + 1), this.history.now());
    try {
      event.detail = await this.episode(kind, node, drive, rng);
    } catch (err) {
      event.detail = `error: ${(err as Error).message.split('\n')[0]}`;
      await this.recover(node).catch((e: Error) => (event.detail += `; recovery failed: ${e.message.split('\n')[0]}`));
    }
    event.end = this.history.now();
  }

  /** Runs one fault from injection to undo; returns a note for the report. */
  private async episode(kind: FaultKind, node: NodeProcess, drive: string, rng: Rng): Promise<string | undefined> {
    switch (kind) {
      case 'kill':
        await node.kill();
        await sleep(rng.int(200, 2_000));
        await node.start();
        return undefined;
      case 'crash':
        return this.crashAtFailpoint(node, rng);
      case 'pause': {
        // Stopped in the middle of a write, it is most likely to hold a lock and be committing.
        const during = await this.writeInFlight(node.index, 2_000);
        node.pause();
        await sleep(rng.chance(0.5) ? rng.int(4_000, 6_500) : rng.int(16_000, 18_000));
        node.resume();
        return during ? `during #${during.id} ${during.type} ${during.key}` : undefined;
      }
      case 'writer': {
        const during = await this.writeInFlight(node.index, 2_000);
        const pid = node.proc?.pid === undefined ? undefined : metadataWriterOf(node.proc.pid);
        if (pid === undefined) return 'no metadata writer running';
        process.kill(pid, 'SIGABRT');
        return during ? `during #${during.id} ${during.type} ${during.key}` : undefined;
      }
      case 'read-only':
        await setImmutable(drive, true);
        await sleep(rng.int(1_500, 4_000));
        await setImmutable(drive, false);
        return undefined;
      case 'full': {
        // Nothing left (writes in flight meet ENOSPC), or less than the server keeps back for new data.
        const leave = rng.chance(0.5) ? rng.int(0, 4) : rng.int(20, 60);
        const left = await fill(drive, leave * 2 ** 20);
        await sleep(rng.int(1_500, 4_000));
        await unfill(drive);
        return `${left} MiB left`;
      }
      case 'vanish': {
        await vanish(drive);
        await sleep(rng.int(1_500, 4_000));
        return (await reappear(drive)) || undefined;
      }
      case 'wipe': {
        const healed = await this.healFirst();
        if (!healed.ok) return `${healed.text}; not wiped`;
        return `${healed.text}; removed ${await wipe(drive)} entries`;
      }
      case 'flip': {
        const healed = await this.healFirst();
        if (!healed.ok) return `${healed.text}; not flipped`;
        return `${healed.text}; flipped ${(await flipBytes(drive, this.options.bucket, rng.int(1, 3), rng)).join(', ') || 'nothing (no shard files)'}`;
      }
    }
  }

  /** Waits (up to `timeoutMs`) until a write to `node` is in flight, and returns it. */
  private async writeInFlight(node: number, timeoutMs: number): Promise<MutationOp | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ops = this.history.ops;
      for (let i = ops.length - 1; i >= 0 && i >= ops.length - 50; i--) {
        const op = ops[i];
        if (op.node === node && op.end === Number.POSITIVE_INFINITY && isMutation(op)) return op;
      }
      if (Date.now() > deadline) return undefined;
      await sleep(5);
    }
  }

  private async crashAtFailpoint(node: NodeProcess, rng: Rng): Promise<string> {
    const point = rng.pick(Object.keys(CRASH_POINTS));
    const pass = rng.int(1, CRASH_POINTS[point]);
    await node.kill();
    let fired = false;
    try {
      await node.start({ env: { TESSERA_FAILPOINTS: `${point}=crash:${pass}` } });
      fired = (await node.waitExit(rng.int(4_000, 10_000))) !== undefined;
    } catch {
      fired = true; // died before it was ready
    }
    await node.kill();
    await node.start();
    return `${point}=crash:${pass} ${fired ? 'fired' : 'not reached'}`;
  }

  /**
   * Before damage that destroys shards: every drive back (a drive wiped by the fault before is
   * offline until it is formatted again) and the bucket healed onto all of them, so the damage never
   * adds to earlier damage beyond what parity covers.
   */
  private async healFirst(): Promise<{ ok: boolean; text: string }> {
    const up = this.cluster.running;
    if (up.length === 0) return { ok: false, text: 'no node to heal through' };
    for (const node of up) await waitDrivesOnline(node);
    const s = await healBucket(up[0], this.options.bucket);
    // Damage on top of objects a heal could not repair could pass what parity covers.
    return { ok: s.failed === 0, text: `healed first (${s.healed} healed, ${s.failed} failed)` };
  }

  /** After a fault went wrong: every drive back and writable, this node running. */
  private async recover(node: NodeProcess): Promise<void> {
    for (let d = 0; d < this.cluster.drivesPerNode; d++) await restoreDrive(node.drivePath(d));
    node.resume();
    if (!node.running) await node.start();
  }
}

/** Undoes whatever a drive fault may have left: the directory back in place, nothing immutable, its filesystem not full. */
export async function restoreDrive(drive: string): Promise<void> {
  if (existsSync(awayPath(drive))) await reappear(drive);
  await setImmutable(drive, false);
  await unfill(drive);
}
