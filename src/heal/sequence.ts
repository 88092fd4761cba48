/**
 * Heal sequences: what `POST /tessera/admin/v1/heal` starts. A sequence heals bucket entries, then
 * (recursive) every object under a prefix, or (not recursive, with a prefix) the one object of that
 * name; optionally deep (every block re-hashed) or as a dry run. Each result is handed to the
 * listener as it comes (the admin API streams them as NDJSON); the sequence carries on if the
 * client goes away, and its summary stays visible in `GET /tessera/admin/v1/heal`.
 */
import { randomUUID } from 'node:crypto';
import { healObject, type HealResult } from '../erasure/heal.js';
import type { ErasureSet } from '../erasure/set.js';
import type { Drive } from '../storage/drive.js';
import { healBuckets, poolBuckets, setKeys, type BucketHealResult } from './listing.js';
import type { HealStats } from './stats.js';
import type { Pacer } from './throttle.js';

export interface HealRequest {
  /** Every bucket when undefined. */
  bucket?: string;
  prefix: string;
  recursive: boolean;
  deep: boolean;
  dryRun: boolean;
}

export interface ObjectLine {
  type: 'object';
  bucket: string;
  key: string;
  outcome: HealResult['outcome'];
  before: HealResult['before'];
  after: HealResult['after'];
  bytes: number;
  corrupt: number;
  removedVersions?: number;
  reasons?: string[];
}

export interface BucketLine extends BucketHealResult {
  type: 'bucket';
}

export interface SequenceSummary {
  type: 'summary';
  id: string;
  request: HealRequest;
  started: string;
  finished?: string;
  state: 'running' | 'done' | 'stopped' | 'failed';
  error?: string;
  buckets: number;
  objects: number;
  ok: number;
  healed: number;
  removed: number;
  failed: number;
  absent: number;
  /** Dry run: objects that would be healed / removed. */
  wouldHeal: number;
  wouldRemove: number;
  corruptShards: number;
  bytes: number;
  seconds: number;
}

export type SequenceLine = ObjectLine | BucketLine | SequenceSummary;

export class HealSequence {
  readonly id = randomUUID();
  readonly summary: SequenceSummary;
  readonly done: Promise<void>;
  private readonly abort = new AbortController();
  private readonly startedAt = Date.now();

  constructor(
    readonly request: HealRequest,
    private readonly sets: ErasureSet[],
    private readonly drives: Drive[],
    private readonly stats: HealStats,
    private readonly pacer: Pacer,
    private readonly emit: (line: SequenceLine) => void,
  ) {
    this.summary = {
      type: 'summary',
      id: this.id,
      request,
      started: new Date().toISOString(),
      state: 'running',
      buckets: 0,
      objects: 0,
      ok: 0,
      healed: 0,
      removed: 0,
      failed: 0,
      absent: 0,
      wouldHeal: 0,
      wouldRemove: 0,
      corruptShards: 0,
      bytes: 0,
      seconds: 0,
    };
    this.done = this.run();
  }

  stop(): void {
    this.abort.abort();
  }

  private async run(): Promise<void> {
    const { request } = this;
    try {
      const bucketResults = await healBuckets(this.drives, { dryRun: request.dryRun, only: request.bucket });
      for (const b of bucketResults) {
        this.summary.buckets++;
        this.emit({ type: 'bucket', ...b });
      }
      const buckets = request.bucket !== undefined ? [request.bucket] : await poolBuckets(this.drives);
      if (request.bucket !== undefined && !(await poolBuckets(this.drives)).includes(request.bucket)) {
        throw new Error(`bucket ${request.bucket} does not exist`);
      }
      const single = !request.recursive && request.bucket !== undefined && request.prefix !== '';
      if (single) {
        await this.healSingle(request.bucket!, request.prefix);
      } else if (request.recursive) {
        for (const bucket of buckets) {
          for (const set of this.sets) {
            for await (const key of setKeys(set, bucket, request.prefix)) {
              if (this.abort.signal.aborted) return this.finish('stopped');
              await this.heal(set, bucket, key);
            }
          }
        }
      }
      this.finish('done');
    } catch (err) {
      this.finish('failed', (err as Error).message);
    }
  }

  /** One named object: the set that has it (placement is the pool's business; asking every set is cheap). */
  private async healSingle(bucket: string, key: string): Promise<void> {
    let absent: HealResult | undefined;
    for (const set of this.sets) {
      const result = await healObject(set, bucket, key, this.options());
      if (result.outcome === 'absent') {
        absent ??= result;
        continue;
      }
      this.record(result);
      return;
    }
    if (absent) this.record(absent);
  }

  private options() {
    return { deep: this.request.deep, dryRun: this.request.dryRun, pace: this.pacer.block };
  }

  private async heal(set: ErasureSet, bucket: string, key: string): Promise<void> {
    const t0 = Date.now();
    this.record(await healObject(set, bucket, key, this.options()));
    await this.pacer.afterObject(Date.now() - t0, this.abort.signal);
  }

  private record(result: HealResult): void {
    const s = this.summary;
    this.stats.record(result, 'admin', this.request.dryRun);
    s.objects++;
    s.corruptShards += result.corruptShards;
    s.bytes += result.bytesWritten;
    switch (result.outcome) {
      case 'ok':
        s.ok++;
        break;
      case 'healed':
        s.healed++;
        break;
      case 'removed':
        s.removed++;
        break;
      case 'absent':
        s.absent++;
        break;
      case 'would-heal':
        s.wouldHeal++;
        break;
      case 'would-remove':
        s.wouldRemove++;
        break;
      default:
        s.failed++;
    }
    this.emit({
      type: 'object',
      bucket: result.bucket,
      key: result.key,
      outcome: result.outcome,
      before: result.before,
      after: result.after,
      bytes: result.bytesWritten,
      corrupt: result.corruptShards,
      ...(result.versionsRemoved > 0 ? { removedVersions: result.versionsRemoved } : {}),
      ...(result.reasons.length > 0 ? { reasons: result.reasons } : {}),
    });
  }

  private finish(state: SequenceSummary['state'], error?: string): void {
    this.summary.state = state;
    if (error) this.summary.error = error;
    this.summary.finished = new Date().toISOString();
    this.summary.seconds = (Date.now() - this.startedAt) / 1000;
    this.emit({ ...this.summary });
  }
}

/** The sequences started since start-up (the last 20 kept). */
export class HealSequences {
  private readonly all: HealSequence[] = [];

  constructor(
    private readonly sets: ErasureSet[],
    private readonly drives: Drive[],
    private readonly stats: HealStats,
    private readonly pacer: Pacer,
  ) {}

  start(request: HealRequest, emit: (line: SequenceLine) => void): HealSequence {
    const sequence = new HealSequence(request, this.sets, this.drives, this.stats, this.pacer, emit);
    this.all.push(sequence);
    while (this.all.length > 20) this.all.shift();
    return sequence;
  }

  list(): SequenceSummary[] {
    return this.all.map((s) => ({ ...s.summary, seconds: s.summary.finished ? s.summary.seconds : 0 }));
  }

  get running(): number {
    return this.all.filter((s) => s.summary.state === 'running').length;
  }

  async stop(): Promise<void> {
    for (const s of this.all) s.stop();
    await Promise.all(this.all.map((s) => s.done));
  }
}
