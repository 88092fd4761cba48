/**
 * The lifecycle worker: every interval, for each bucket with enabled lifecycle rules, it walks the
 * bucket's versions and uploads and does what the rules say: current versions past their expiration
 * get a delete marker (or go, in a bucket never versioned), delete markers left with no versions
 * below them go (ExpiredObjectDeleteMarker), noncurrent versions past their days beyond the newest N
 * go, and multipart uploads past their days are aborted. Every delete is made on condition that the
 * version is still the one the listing showed (a client may have written since), and one refused by
 * Object Lock is left alone. Every node runs it; a bucket's pass holds the bucket's lifecycle lock,
 * so nodes take turns, and the conditions make a repeated pass harmless.
 */
import { isObjectLayerError } from '../object/errors.js';
import { daysAfter, currentExpiry, filterTakes, type LifecycleRule } from '../meta/lifecycle.js';
import type { ListedObjectVersion, ObjectInfo, ObjectLayer, VersionSummary } from '../object/types.js';
import type { Locker } from '../lock/locker.js';

export interface LifecycleConfig {
  enabled: boolean;
  /** A rule's day, in ms (TESSERA_LIFECYCLE_DAY_SECONDS shortens it for tests). */
  dayMs: number;
  /** Pause between passes (TESSERA_LIFECYCLE_INTERVAL_SECONDS). */
  intervalMs: number;
}

const DAY_SECONDS = 24 * 60 * 60;

/**
 * TESSERA_LIFECYCLE=off stops enforcement; TESSERA_LIFECYCLE_DAY_SECONDS is how long a rule's day is
 * (default 86400); TESSERA_LIFECYCLE_INTERVAL_SECONDS the pause between passes (default an hour, or a
 * tenth of a shortened day, at least a second).
 */
export function lifecycleConfigFromEnv(env: NodeJS.ProcessEnv = process.env): LifecycleConfig {
  const seconds = (name: string, fallback: number): number => {
    const value = Number(env[name]);
    return env[name] !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
  };
  const day = seconds('TESSERA_LIFECYCLE_DAY_SECONDS', DAY_SECONDS);
  return {
    enabled: env.TESSERA_LIFECYCLE?.toLowerCase() !== 'off',
    dayMs: day * 1000,
    intervalMs: seconds('TESSERA_LIFECYCLE_INTERVAL_SECONDS', Math.max(1, Math.min(3600, day / 10))) * 1000,
  };
}

export interface LifecycleCounts {
  expired: number;
  markersRemoved: number;
  noncurrentRemoved: number;
  uploadsAborted: number;
  /** Deletes Object Lock refused (the version stays until its retention passes). */
  locked: number;
  failed: number;
}

type Objects = Pick<ObjectLayer, 'listBuckets' | 'getBucketConfig' | 'listObjectVersions' | 'getObjectInfo' | 'deleteObject' | 'listMultipartUploads' | 'abortMultipartUpload'>;

export class LifecycleWorker {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private stopped = false;

  constructor(
    private readonly objects: Objects,
    private readonly locks: Locker,
    private readonly config: LifecycleConfig,
    private readonly log: (line: string) => void = () => {},
  ) {}

  start(): void {
    if (!this.config.enabled) return;
    const next = (): void => {
      this.timer = setTimeout(() => {
        this.running = this.runOnce()
          .then((counts) => this.report(counts), (err: unknown) => this.log(`tessera: lifecycle pass failed: ${(err as Error).message}`))
          .finally(() => !this.stopped && next());
      }, this.config.intervalMs);
      this.timer.unref();
    };
    next();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private report(c: LifecycleCounts): void {
    const done = c.expired + c.markersRemoved + c.noncurrentRemoved + c.uploadsAborted;
    if (done + c.locked + c.failed === 0) return;
    this.log(`tessera: lifecycle: ${c.expired} expired, ${c.noncurrentRemoved} noncurrent version(s) and ${c.markersRemoved} delete marker(s) removed, ${c.uploadsAborted} upload(s) aborted; ${c.locked} kept by Object Lock, ${c.failed} failed`);
  }

  /** One pass over every bucket; `now` is when rules are judged. */
  async runOnce(now = Date.now()): Promise<LifecycleCounts> {
    const counts: LifecycleCounts = { expired: 0, markersRemoved: 0, noncurrentRemoved: 0, uploadsAborted: 0, locked: 0, failed: 0 };
    for (const { name } of await this.objects.listBuckets()) {
      if (this.stopped) break;
      const rules = (await this.objects.getBucketConfig(name).catch(() => undefined))?.lifecycle?.filter((r) => r.enabled) ?? [];
      if (rules.length === 0) continue;
      const lease = await this.locks.lock(`lifecycle/${name}`, true).catch(() => undefined);
      if (!lease) continue;
      try {
        await this.versionsPass(name, rules, now, counts);
        await this.uploadsPass(name, rules, now, counts);
      } catch (err) {
        // A bucket that cannot be listed now (a key undecidable until heal) holds up only itself.
        counts.failed++;
        this.log(`tessera: lifecycle: bucket ${name}: ${(err as Error).message}`);
      } finally {
        lease.release();
      }
    }
    return counts;
  }

  private async versionsPass(bucket: string, rules: LifecycleRule[], now: number, counts: LifecycleCounts): Promise<void> {
    if (!rules.some((r) => r.expiration || r.noncurrentVersionExpiration)) return;
    let keyMarker: string | undefined;
    let versionIdMarker: string | undefined;
    let pending: ListedObjectVersion[] = [];
    for (;;) {
      const page = await this.objects.listObjectVersions(bucket, { prefix: '', delimiter: '', keyMarker, versionIdMarker, maxKeys: 1000 });
      // Rules changed or removed since the pass began are followed from the next page on.
      rules = (await this.objects.getBucketConfig(bucket)).lifecycle?.filter((r) => r.enabled) ?? [];
      if (rules.length === 0) return;
      for (const version of page.versions) {
        if (pending.length > 0 && pending[0].key !== version.key) {
          await this.keyPass(bucket, pending, rules, now, counts);
          pending = [];
        }
        // A page may start a key again (its marker version went meanwhile): each version once.
        if (!pending.some((v) => v.versionId === version.versionId)) pending.push(version);
      }
      if (!page.isTruncated) break;
      keyMarker = page.nextKeyMarker;
      versionIdMarker = page.nextVersionIdMarker;
    }
    if (pending.length > 0) await this.keyPass(bucket, pending, rules, now, counts);
  }

  /**
   * One key's versions, newest first, as the listing showed them. What a rule decides from them is
   * decided again under the object's lock when the delete is made (DeleteOptions), on the versions
   * there are then: a client may have deleted or written versions since.
   */
  private async keyPass(bucket: string, versions: ListedObjectVersion[], rules: LifecycleRule[], now: number, counts: LifecycleCounts): Promise<void> {
    const key = versions[0].key;
    const byTags = rules.some((r) => r.filter.tags);
    const tagsOf = async (versionId: string): Promise<[string, string][] | undefined> =>
      byTags ? (await this.objects.getObjectInfo(bucket, key, versionId).catch(() => undefined))?.tags : undefined;
    const act = async (what: keyof LifecycleCounts, remove: () => Promise<unknown>): Promise<void> => {
      try {
        await remove();
        counts[what]++;
      } catch (err) {
        if (isObjectLayerError(err, 'object-locked')) counts.locked++;
        else if (!isObjectLayerError(err, 'precondition-failed')) counts.failed++;
      }
    };
    const current = versions[0].isLatest ? versions[0] : undefined;
    if (current && !current.deleteMarker) {
      const expiry = currentExpiry(rules, { key, size: current.size, tags: await tagsOf(current.versionId), modTime: current.modTime.getTime() }, this.config.dayMs);
      if (expiry && now >= expiry.at) {
        // Judged again on the version there is under the lock: its tags may have changed since.
        const stillDueVersion = (version: ObjectInfo): boolean => {
          const again = currentExpiry(rules, { key, size: version.size, tags: version.tags, modTime: version.modTime.getTime() }, this.config.dayMs);
          return again !== undefined && now >= again.at;
        };
        await act('expired', () => this.objects.deleteObject(bucket, key, undefined, { expectedModTime: current.modTime.getTime(), stillDueVersion }));
      }
    }
    // A delete marker with nothing below it: ExpiredObjectDeleteMarker, or an Expiration in days
    // once the marker is that old (S3 cleans those up with Days too).
    if (current?.deleteMarker && versions.length === 1) {
      const markerTime = current.modTime.getTime();
      const wanted = rules.some(
        (r) =>
          filterTakes(r.filter, { key, size: 0 }) &&
          (r.expiration?.expiredObjectDeleteMarker === true || (r.expiration?.days !== undefined && !r.filter.tags && now >= daysAfter(markerTime, r.expiration.days, this.config.dayMs))),
      );
      const alone = (all: { versionId: string }[], index: number): boolean => all.length === 1 && index === 0;
      if (wanted) await act('markersRemoved', () => this.objects.deleteObject(bucket, key, current.versionId, { expectedModTime: markerTime, stillDue: alone }));
    }
    // Noncurrent versions: each became noncurrent when the version above it was made. A delete
    // stands only while the versions above it are still the ones listed (a client rolling back by
    // deleting the newest version makes the one below current again, and changes what is kept).
    for (const rule of rules) {
      const noncurrent = rule.noncurrentVersionExpiration;
      if (!noncurrent) continue;
      let newer = 0;
      for (let i = 1; i < versions.length; i++) {
        const version = versions[i];
        if (!filterTakes(rule.filter, { key, size: version.size, tags: rule.filter.tags ? await tagsOf(version.versionId) : undefined })) continue;
        newer++;
        if (newer <= (noncurrent.newerNoncurrentVersions ?? 0)) continue;
        if (now < daysAfter(versions[i - 1].modTime.getTime(), noncurrent.noncurrentDays, this.config.dayMs)) continue;
        const above = versions.slice(0, i).map((v) => v.versionId);
        const unchangedAbove = (all: VersionSummary[], index: number): boolean => index === above.length && above.every((id, j) => all[j].versionId === id);
        const tagsStillTaken = rule.filter.tags ? (v: ObjectInfo): boolean => filterTakes(rule.filter, { key, size: v.size, tags: v.tags }) : undefined;
        await act('noncurrentRemoved', () =>
          this.objects.deleteObject(bucket, key, version.versionId, { expectedModTime: version.modTime.getTime(), stillDue: unchangedAbove, ...(tagsStillTaken ? { stillDueVersion: tagsStillTaken } : {}) }),
        );
      }
    }
  }

  private async uploadsPass(bucket: string, rules: LifecycleRule[], now: number, counts: LifecycleCounts): Promise<void> {
    for (const rule of rules) {
      const abort = rule.abortIncompleteMultipartUpload;
      if (!abort) continue;
      for (const upload of await this.objects.listMultipartUploads(bucket, rule.filter.prefix ?? '')) {
        if (now < daysAfter(upload.initiated.getTime(), abort.daysAfterInitiation, this.config.dayMs)) continue;
        try {
          await this.objects.abortMultipartUpload(bucket, upload.key, upload.uploadId);
          counts.uploadsAborted++;
        } catch (err) {
          if (!isObjectLayerError(err, 'no-such-upload')) counts.failed++;
        }
      }
    }
  }
}
