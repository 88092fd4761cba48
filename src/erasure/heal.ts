/**
 * Heal one object on its erasure set (DESIGN §7).
 *
 * Under the object's read lock (writers wait; readers go on, and only ever see complete copies):
 *  1. read every drive's record; every version id any drive holds is judged on its own;
 *  2. a version that a read quorum of drives hold identically is the truth for that id. Drives with
 *     no copy, another copy (stale), a wrong shard index, a bad inline shard, or part files that are
 *     missing, of the wrong size or (deep mode: every block re-hashed) corrupt, are targets;
 *  3. each target's missing shards are rebuilt block by block from D verified shards of the drives
 *     that are good (Reed-Solomon reconstruct), written to the drive's staging area, moved into the
 *     data directory, and only then is the drive's record rewritten (inline objects: the drive's
 *     inline shard is rebuilt into its record);
 *  4. a version held by fewer than its read quorum while EVERY drive of the set answered, or whose
 *     part files exist on fewer than D drives (again with every drive answering), can never be read:
 *     it is dangling and is removed. When any drive did not answer nothing is removed: the missing
 *     copies may be on it (a drive still starting, a node down). A version that may have been
 *     acknowledged on drives that lost it (blank drives it was sent to) is never passed over for
 *     the one it replaced, which would be stale: then the version id goes, as an interrupted delete
 *     of it would have done.
 * A heal that cannot reach read quorum for something changes nothing about it and says why.
 */
import { randomUUID } from 'node:crypto';
import { BITROT_HASH_SIZE, ShardLayout, frameShardBlock, verifyShardBlock } from '../codec/bitrot.js';
import { codecFor } from './coder.js';
import { versionSignature, type PartRecord, type VersionRecord } from '../meta/record.js';
import { isDamaged, type ShardWriter } from '../storage/drive.js';
import type { ShardState } from '../storage/healing.js';
import { copyOf, minimumWriteQuorum, readQuorum, resolveVersion, writeQuorum, type QuorumVersion, type RecordAnswer } from './quorum.js';
import type { Lease } from '../lock/locker.js';
import type { ErasureSet } from './set.js';
import { ShardSources } from './decode.js';
import { askDrives, bestEffortOnDrives } from './fan-out.js';
import { discardStaging, openShardWriters } from './write.js';
import { deletionRefusal } from './object-lock.js';

/** A drive's condition for an object: before the heal (ok … offline), after it (ok, healed, failed, offline). */
export type DriveState = 'ok' | 'missing' | 'stale' | 'corrupt' | 'offline' | 'healed' | 'failed';

export type HealOutcome =
  /** Every drive that answered holds a good copy of everything. */
  | 'ok'
  | 'healed'
  /** Some drives were healed, some could not be (see reasons). */
  | 'partial'
  /** Dangling versions were removed (and nothing of the object is left). */
  | 'removed'
  | 'failed'
  /** No drive has the object. */
  | 'absent'
  | 'would-heal'
  | 'would-remove';

export interface HealOptions {
  /** Re-hash every block of every shard file, not only check that the files are there with the right size. */
  deep?: boolean;
  /** Find and report, change nothing. */
  dryRun?: boolean;
  /** Remove dangling versions (default true). */
  removeDangling?: boolean;
  /** Awaited between blocks of a rebuild, so foreground requests go first. */
  pace?: () => Promise<void>;
}

export interface HealResult {
  bucket: string;
  key: string;
  outcome: HealOutcome;
  /** Per drive slot of the set. */
  before: DriveState[];
  after: DriveState[];
  versions: number;
  versionsHealed: number;
  versionsRemoved: number;
  /** Bytes of shard data written (framed shard files, inline shards). */
  bytesWritten: number;
  bytesPerDrive: number[];
  /** Shard files or inline shards found corrupt (failed hash) or of the wrong size. */
  corruptShards: number;
  /** Drives that did not answer (offline, faulty): nothing on them was judged. */
  offlineDrives: number;
  /** Why something was not healed, or what was removed and why. */
  reasons: string[];
  /** Every data directory any drive's record names (for the scanner's orphan check). */
  dataDirs: string[];
  /** The drives' records were read, so dataDirs is known; false when the heal could not run (lock, error). */
  examined: boolean;
}

const RANK: Record<DriveState, number> = { ok: 0, healed: 1, missing: 2, stale: 2, corrupt: 3, failed: 4, offline: 5 };

function worse(a: DriveState, b: DriveState): DriveState {
  return RANK[b] > RANK[a] ? b : a;
}


function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The verified payload of a record's inline shard, or undefined when it is missing or bad. */
function inlineShard(copy: VersionRecord): Buffer | undefined {
  const { dataShards } = copy.erasure;
  if (!copy.inline) return undefined;
  const bytes = Buffer.from(copy.inline.buffer, copy.inline.byteOffset, copy.inline.byteLength);
  try {
    return verifyShardBlock(bytes, Math.ceil(copy.size / dataShards));
  } catch {
    return undefined;
  }
}

/** What one quorate version needs on each drive. */
interface VersionWork {
  id: string;
  quorum: QuorumVersion;
  /** The drive's record holds this version exactly right (data not considered). */
  recordOk: boolean[];
  /** What is wrong on the drive, for the report. */
  state: DriveState[];
  /** The drive needs something (record or data). */
  needs: boolean[];
  /** The drive will hold a good copy once its planned rebuild succeeds. */
  fixable: boolean[];
  /** Inline shards rebuilt for drives, framed. */
  inline: (Buffer | undefined)[];
  /** Part indexes (into version.parts) to rebuild, per drive. */
  rebuild: number[][];
  /** Per part: the drives whose file is good (rebuild sources). */
  sources: number[][];
  dangling?: string;
}

interface Context {
  set: ErasureSet;
  bucket: string;
  key: string;
  options: HealOptions;
  answers: RecordAnswer[];
  answered: boolean[];
  allAnswered: boolean;
  result: HealResult;
}

/** Heals `bucket/key` on `set`; never throws (failures are in the result). */
export async function healObject(set: ErasureSet, bucket: string, key: string, options: HealOptions = {}): Promise<HealResult> {
  // One heal of an object at a time in this process: a second caller waits, then looks again.
  let running = inflight.get(set);
  if (!running) inflight.set(set, (running = new Map()));
  const id = `${bucket}\u0000${key}`;
  const before = running.get(id);
  const mine = (before ?? Promise.resolve()).then(() => healLocked(set, bucket, key, options));
  const tracked = mine.catch(() => undefined);
  running.set(id, tracked);
  try {
    return await mine;
  } finally {
    if (running.get(id) === tracked) running.delete(id);
  }
}

const inflight = new WeakMap<ErasureSet, Map<string, Promise<unknown>>>();

async function healLocked(set: ErasureSet, bucket: string, key: string, options: HealOptions): Promise<HealResult> {
  let lease: Lease;
  try {
    lease = await set.ctx.locks.lock(`${bucket}/${key}`, false);
  } catch (err) {
    const result = emptyResult(bucket, key, set.drives.length);
    result.outcome = 'failed';
    result.reasons.push(`could not lock the object: ${message(err)}`);
    return result;
  }
  try {
    let deep = options.deep === true;
    let first: HealResult | undefined;
    for (;;) {
      const { result, retryDeep } = await healOnce(set, bucket, key, lease, { ...options, deep });
      // A source that looked fine by size failed its hash during a rebuild: look at every block.
      if (retryDeep && !deep) {
        deep = true;
        first = result;
        continue;
      }
      return first ? merge(first, result) : result;
    }
  } catch (err) {
    const result = emptyResult(bucket, key, set.drives.length);
    result.outcome = 'failed';
    result.reasons.push(message(err));
    return result;
  } finally {
    lease.release();
  }
}

/** The result of a heal that was redone in deep mode, counting what the first pass already fixed. */
function merge(first: HealResult, second: HealResult): HealResult {
  const out = { ...second, before: [...second.before], after: [...second.after], bytesPerDrive: [...second.bytesPerDrive] };
  for (let slot = 0; slot < out.before.length; slot++) {
    const fixedBefore = first.bytesPerDrive[slot] > 0;
    out.before[slot] = worse(first.before[slot], second.before[slot]);
    out.bytesPerDrive[slot] += first.bytesPerDrive[slot];
    if (fixedBefore && out.after[slot] === 'ok') out.after[slot] = 'healed';
  }
  out.bytesWritten += first.bytesWritten;
  out.corruptShards = Math.max(first.corruptShards, second.corruptShards);
  if (out.outcome === 'ok' && out.after.includes('healed')) out.outcome = 'healed';
  return out;
}

function emptyResult(bucket: string, key: string, n: number): HealResult {
  return {
    bucket,
    key,
    outcome: 'ok',
    before: new Array<DriveState>(n).fill('ok'),
    after: new Array<DriveState>(n).fill('ok'),
    versions: 0,
    versionsHealed: 0,
    versionsRemoved: 0,
    bytesWritten: 0,
    bytesPerDrive: new Array<number>(n).fill(0),
    corruptShards: 0,
    offlineDrives: 0,
    reasons: [],
    dataDirs: [],
    examined: false,
  };
}

/** The data directories of the uploads of `key` any drive records (a completion moves parts there). */
async function uploadDataDirs(set: ErasureSet, bucket: string, key: string): Promise<Set<string>> {
  const listed = await askDrives(set.drives, (drive) => drive.listUploads(bucket, key));
  const dirs = new Set<string>();
  for (const uploads of listed.values()) for (const { record } of uploads) if (record.key === key) dirs.add(record.dataDir);
  return dirs;
}

async function healOnce(set: ErasureSet, bucket: string, key: string, lease: Lease, options: HealOptions): Promise<{ result: HealResult; retryDeep: boolean }> {
  const n = set.drives.length;
  const result = emptyResult(bucket, key, n);
  const records = await set.readRecords(bucket, key);
  const answers = records.answers;
  // A drive with a damaged record is healed like one without a record, but its answer proves nothing
  // absent: while one is about, no version is judged dangling.
  const answered = answers.map((a) => !(a instanceof Error) || isDamaged(a));
  const unanswered = records.failed;
  result.offlineDrives = answered.filter((a) => !a).length;
  const ctx: Context = { set, bucket, key, options, answers, answered, allAnswered: unanswered === 0, result };
  answered.forEach((ok, slot) => (result.before[slot] = ok ? 'ok' : 'offline'));

  const ids: string[] = [];
  const dataDirs = new Set<string>();
  for (const answer of answers) {
    if (!answer || answer instanceof Error) continue;
    for (const v of answer.versions) {
      if (!ids.includes(v.versionId)) ids.push(v.versionId);
      if (v.dataDir) dataDirs.add(v.dataDir);
    }
  }
  for (const dir of replacedDataInUse(answers, minimumWriteQuorum(n))) dataDirs.add(dir);
  result.dataDirs = [...dataDirs];
  result.examined = true;
  result.versions = ids.length;
  if (ids.length === 0) {
    result.outcome = 'absent';
    result.after = [...result.before];
    return { result, retryDeep: false };
  }

  const removeDangling = options.removeDangling !== false;
  const works: VersionWork[] = [];
  const dangling = new Map<string, string>();
  const undecided = new Set<string>();
  for (const id of ids) {
    // Object Lock: a version under retention or legal hold is never removed, dangling or not.
    const locked = answers.some((a) => {
      const copy = copyOf(a, id);
      return copy !== undefined && deletionRefusal(copy, false) !== undefined;
    });
    const removable = removeDangling && !locked;
    const keptWhy = locked ? ' (it is under Object Lock retention or legal hold)' : ' (removal of dangling versions is off)';
    const holders = answers.map((a) => copyOf(a, id) !== undefined);
    const count = holders.filter(Boolean).length;
    const sample = answers.map((a) => copyOf(a, id)).find((copy) => copy !== undefined)!;
    const outcome = resolveVersion(answers, id, minimumWriteQuorum(n));
    if (outcome.kind === 'found') {
      const work = await examine(ctx, id, outcome.quorum);
      if (work.dangling === undefined) {
        works.push(work);
        continue;
      }
      if (ctx.allAnswered && removable) dangling.set(id, work.dangling);
      else {
        undecided.add(id);
        result.reasons.push(`${work.dangling}; not removed${removable ? '' : keptWhy}`);
      }
      holders.forEach((held, slot) => held && (result.before[slot] = worse(result.before[slot], 'corrupt')));
      continue;
    }
    if (markerMayStand(answers, id, sample)) {
      works.push(await examine(ctx, id, { version: sample, holders, copies: answers.map((a) => copyOf(a, id)) }));
      continue;
    }
    const needed = readQuorum(sample.erasure.dataShards);
    const why = `version ${id}: ${count} drive(s) hold it, read quorum is ${needed}`;
    if (ctx.allAnswered && removable) {
      dangling.set(id, `${why} and every drive answered: dangling, removed`);
    } else {
      undecided.add(id);
      result.reasons.push(
        ctx.allAnswered
          ? `${why}: dangling, not removed${keptWhy}`
          : `${why} and ${unanswered} drive(s) did not answer or hold a damaged record: cannot decide, left as is`,
      );
    }
    holders.forEach((held, slot) => held && (result.before[slot] = worse(result.before[slot], 'stale')));
  }
  for (const work of works) {
    work.state.forEach((state, slot) => (result.before[slot] = worse(result.before[slot], state)));
  }
  for (const why of dangling.values()) result.reasons.push(why);

  const needsWork = works.some((w) => w.needs.some(Boolean)) || dangling.size > 0;
  if (options.dryRun || !needsWork) {
    result.after = [...result.before];
    const fixable = works.some((w) => w.needs.some((need, slot) => need && w.fixable[slot]));
    if (!needsWork) result.outcome = result.reasons.length > 0 ? 'failed' : 'ok';
    else if (fixable) result.outcome = 'would-heal';
    else if (dangling.size > 0) result.outcome = 'would-remove';
    else result.outcome = 'failed';
    return { result, retryDeep: false };
  }

  // Rebuild and place data, version by version; a drive gets a version's record only once its data is in place.
  let retryDeep = false;
  for (const work of works) {
    if (!work.needs.some(Boolean)) continue;
    const outcome = await rebuildVersion(ctx, work);
    if (outcome.badSources && !options.deep) retryDeep = true;
  }
  if (retryDeep) return { result, retryDeep };

  // Records, drive by drive: what each drive's record is to hold, where that changes.
  const slotFailed = new Array<boolean>(n).fill(false);
  const rewrites = answers.map((answer, slot): VersionRecord[] | undefined => {
    if (!answered[slot]) return undefined;
    const current = answer instanceof Error ? undefined : answer;
    const versions: VersionRecord[] = [];
    for (const id of ids) {
      if (dangling.has(id)) continue;
      const own = copyOf(current, id);
      const work = works.find((w) => w.id === id);
      if (work && work.needs[slot] && work.fixable[slot] && !work.recordOk[slot]) versions.push(copyFor(work, slot));
      else if (own) versions.push(own);
      if (work && work.needs[slot] && !work.fixable[slot]) slotFailed[slot] = true;
    }
    versions.sort((a, b) => b.modTime - a.modTime);
    const unchanged = current ? current.versions.length === versions.length && versions.every((v, i) => v === current.versions[i]) : versions.length === 0;
    return unchanged ? undefined : versions;
  });
  // A dangling multipart version may be a completion cut short: its data directory holds the parts of
  // an upload still open, which a retry of the completion needs. It stays (the scanner keeps it too).
  const inUploads = dangling.size > 0 ? await uploadDataDirs(set, bucket, key) : new Set<string>();
  const written = await askDrives(
    set.drives,
    async (drive, slot) => {
      const versions = rewrites[slot]!;
      const record = answers[slot];
      const current = record instanceof Error ? undefined : record;
      lease.check();
      await drive.writeRecord(bucket, key, versions.length > 0 ? { versions } : undefined, lease.fence);
      // Data directories the drive's record no longer names (replaced stale versions, dangling ones).
      const kept = new Set(versions.map((v) => v.dataDir).filter(Boolean));
      const gone = new Set((current?.versions ?? []).map((v) => v.dataDir).filter((d) => d && !kept.has(d)));
      for (const id of dangling.keys()) {
        for (const answer of answers) {
          const copy = copyOf(answer, id);
          if (copy?.dataDir && !kept.has(copy.dataDir)) gone.add(copy.dataDir);
        }
      }
      for (const dir of gone) if (!inUploads.has(dir)) await drive.deleteDataDir(bucket, dir).catch(() => undefined);
    },
    { only: rewrites.map((versions) => versions !== undefined) },
  );
  for (const { slot, error } of written.failures()) {
    slotFailed[slot] = true;
    result.reasons.push(`drive ${slot + 1} (${set.drives[slot].endpoint}): record not written: ${message(error)}`);
  }
  // Drives without any record may still hold a dangling version's files.
  const untouched = written.answers.map((answer, slot) => answered[slot] && answer instanceof Error);
  for (const id of dangling.keys()) {
    const dirs = new Set(answers.map((a) => copyOf(a, id)?.dataDir).filter((d): d is string => !!d && !inUploads.has(d)));
    for (const dir of dirs) await bestEffortOnDrives(set.drives, (drive) => drive.deleteDataDir(bucket, dir), { only: untouched });
  }

  result.versionsRemoved = dangling.size;
  result.versionsHealed = works.filter((w) => w.needs.some((need, slot) => need && w.fixable[slot] && !slotFailed[slot])).length;
  for (let slot = 0; slot < n; slot++) {
    const before = result.before[slot];
    if (before === 'offline') result.after[slot] = 'offline';
    else if (before === 'ok') result.after[slot] = 'ok';
    else result.after[slot] = slotFailed[slot] ? 'failed' : 'healed';
  }
  const failedSlots = result.after.filter((s) => s === 'failed').length;
  const healedSlots = result.after.filter((s) => s === 'healed').length;
  if (failedSlots === 0 && undecided.size === 0) {
    result.outcome = works.length === 0 ? 'removed' : healedSlots > 0 ? 'healed' : dangling.size > 0 ? 'removed' : 'ok';
  } else {
    result.outcome = healedSlots > 0 || dangling.size > 0 ? 'partial' : 'failed';
  }
  return { result, retryDeep: false };
}

/**
 * Data directories of versions that commits replaced which may still be needed: unless the drives
 * show the replacing version committed, the replaced one may be the object's (and its data must not
 * be taken for an orphan). Once the successor is decided, the replaced data is garbage.
 */
function replacedDataInUse(answers: RecordAnswer[], minWriteQuorum: number): string[] {
  const dirs: string[] = [];
  for (const answer of answers) {
    const replaced = answer && !(answer instanceof Error) ? answer.replaced : undefined;
    if (!replaced?.dataDir) continue;
    const outcome = resolveVersion(answers, replaced.versionId, minWriteQuorum);
    if (outcome.kind !== 'found' || versionSignature(outcome.quorum.version) === versionSignature(replaced)) dirs.push(replaced.dataDir);
  }
  return dirs;
}

/**
 * A delete marker below read quorum that may still have reached its write quorum: it is given back
 * to every drive, not removed as dangling. Having no data, it is whole in any one copy; and removing
 * an acknowledged one would bring back the version it deleted. Only the drives that hold another
 * copy of the key prove it was never committed there: drives with no record of the key at all (wiped
 * or replaced since) may have held it, as the drives it was sent to that did not answer may.
 */
function markerMayStand(answers: RecordAnswer[], id: string, sample: VersionRecord): boolean {
  if (!sample.deleteMarker) return false;
  const signature = versionSignature(sample);
  const notSentTo = new Set(sample.erasure.notSentTo ?? []);
  let possible = 0;
  for (const [slot, answer] of answers.entries()) {
    const copy = copyOf(answer, id);
    if (copy) {
      if (versionSignature(copy) !== signature) return false;
      possible++;
    } else if (!notSentTo.has(slot) && (answer === undefined || answer instanceof Error)) possible++;
  }
  return possible >= writeQuorum(sample.erasure.dataShards, sample.erasure.parityShards);
}


/** The quorum version as `slot`'s record should hold it. */
function copyFor(work: VersionWork, slot: number): VersionRecord {
  const { inline: _drop, ...version } = work.quorum.version;
  void _drop;
  const { notSentTo, ...erasure } = version.erasure;
  const stillNotSent = notSentTo?.filter((other) => other !== slot) ?? [];
  const copy: VersionRecord = {
    ...version,
    erasure: { ...erasure, index: version.erasure.distribution[slot], ...(stillNotSent.length > 0 ? { notSentTo: stillNotSent } : {}) },
  };
  if (version.dataDir === '' && !version.deleteMarker) {
    copy.inline = version.size === 0 ? Buffer.alloc(0) : work.inline[slot];
  }
  return copy;
}

/** Judges one quorate version on every drive: what is wrong where, and whether it can be rebuilt. */
async function examine(ctx: Context, id: string, quorum: QuorumVersion): Promise<VersionWork> {
  const { set, answers, answered, result, bucket } = ctx;
  const n = set.drives.length;
  const version = quorum.version;
  const { dataShards: D, parityShards: P, distribution, blockSize } = version.erasure;
  const signature = versionSignature(version);
  const work: VersionWork = {
    id,
    quorum,
    recordOk: new Array<boolean>(n).fill(false),
    state: answered.map((ok): DriveState => (ok ? 'ok' : 'offline')),
    needs: new Array<boolean>(n).fill(false),
    fixable: new Array<boolean>(n).fill(false),
    inline: new Array<Buffer | undefined>(n).fill(undefined),
    rebuild: Array.from({ length: n }, () => []),
    sources: [],
  };
  for (let slot = 0; slot < n; slot++) {
    if (!answered[slot]) continue;
    const copy = copyOf(answers[slot], id);
    work.recordOk[slot] =
      !!copy && versionSignature(copy) === signature && copy.erasure.index === distribution[slot] &&
      copy.erasure.dataShards === D && copy.erasure.parityShards === P;
    if (!work.recordOk[slot]) work.state[slot] = !copy ? 'missing' : versionSignature(copy) !== signature ? 'stale' : 'corrupt';
  }

  if (version.deleteMarker || (version.dataDir === '' && version.size === 0)) {
    // No data: a drive needs only the record.
    for (let slot = 0; slot < n; slot++) {
      if (!answered[slot] || work.recordOk[slot]) continue;
      work.needs[slot] = true;
      work.fixable[slot] = true;
    }
    return work;
  }

  if (version.dataDir === '') {
    // Inline: the shards are in the records.
    // Sources: every holder's copy, also one kept as the version a failed commit replaced.
    const shards: (Uint8Array | null)[] = new Array(D + P).fill(null);
    let good = 0;
    for (let slot = 0; slot < n; slot++) {
      const copy = quorum.copies[slot];
      if (!copy || copy.erasure.index !== distribution[slot] || copy.erasure.dataShards !== D || copy.erasure.parityShards !== P) continue;
      const payload = inlineShard(copy);
      if (payload) {
        shards[distribution[slot] - 1] = payload;
        good++;
      } else if (work.recordOk[slot]) {
        work.recordOk[slot] = false;
        work.state[slot] = 'corrupt';
        result.corruptShards++;
      }
    }
    const targets = [...Array(n).keys()].filter((slot) => answered[slot] && !work.recordOk[slot]);
    if (targets.length === 0) return work;
    targets.forEach((slot) => (work.needs[slot] = true));
    if (good < D) {
      const present = quorum.copies.filter((copy) => copy?.inline !== undefined).length;
      const why = `version ${id}: only ${good} of the ${D} inline shards needed are intact`;
      if (present < D) work.dangling = `${why} (${present} drive(s) have one at all)`;
      else result.reasons.push(`${why}: cannot rebuild the others`);
      return work;
    }
    // Keep only D inputs so the codec rebuilds every other shard from verified ones.
    let kept = 0;
    for (let i = 0; i < shards.length; i++) if (shards[i] && ++kept > D) shards[i] = null;
    codecFor(D, P).reconstruct(shards);
    for (const slot of targets) {
      work.inline[slot] = Buffer.concat(frameShardBlock(shards[distribution[slot] - 1]!));
      work.fixable[slot] = true;
    }
    return work;
  }

  // Part files in a data directory.
  const files = version.parts.map((p) => ({ file: `part.${p.number}`, partSize: p.size }));
  const { answers: checks } = await askDrives(
    set.drives,
    (drive) => drive.checkShards(bucket, version.dataDir, { files, blockSize, dataShards: D, deep: ctx.options.deep === true }),
    { only: answered },
  );
  const checked = checks.map((c) => !(c instanceof Error));
  for (let slot = 0; slot < n; slot++) {
    const states = checks[slot];
    if (states instanceof Error) {
      if (answered[slot]) {
        result.reasons.push(`drive ${slot + 1} (${set.drives[slot].endpoint}): cannot check shards: ${states.message}`);
        work.state[slot] = 'failed';
      }
      continue;
    }
    result.corruptShards += states.filter((s) => s === 'corrupt' || s === 'wrong-size').length;
    for (const s of states) {
      if (s === 'missing') work.state[slot] = worse(work.state[slot], 'missing');
      else if (s !== 'ok') work.state[slot] = worse(work.state[slot], 'corrupt');
    }
  }
  const fileState = (slot: number, part: number): ShardState | undefined => {
    const states = checks[slot];
    return states instanceof Error ? undefined : states[part];
  };
  const unfixable = new Set<number>();
  for (let part = 0; part < files.length; part++) {
    const sources = [...Array(n).keys()].filter((slot) => fileState(slot, part) === 'ok');
    const targets = [...Array(n).keys()].filter((slot) => checked[slot] && fileState(slot, part) !== 'ok');
    work.sources[part] = sources;
    if (targets.length === 0) continue;
    if (sources.length < D) {
      const present = [...Array(n).keys()].filter((slot) => checked[slot] && fileState(slot, part) !== 'missing').length;
      const why = `version ${id} ${files[part].file}: only ${sources.length} of the ${D} shards needed are intact`;
      if (present < D && checked.every(Boolean)) {
        work.dangling = `${why} and only ${present} drive(s) have the file at all: dangling`;
      } else {
        result.reasons.push(`${why}: cannot rebuild the others`);
      }
      targets.forEach((slot) => unfixable.add(slot));
      targets.forEach((slot) => (work.needs[slot] = true));
      continue;
    }
    for (const slot of targets) {
      work.needs[slot] = true;
      work.rebuild[slot].push(part);
    }
  }
  if (work.dangling !== undefined) return work;
  for (let slot = 0; slot < n; slot++) {
    if (!answered[slot]) continue;
    if (!work.recordOk[slot] || !checked[slot]) work.needs[slot] = true;
    if (!work.needs[slot]) continue;
    // A drive whose shards cannot be checked (or rebuilt) keeps what it has.
    work.fixable[slot] = checked[slot] && !unfixable.has(slot);
  }
  return work;
}

/** Rebuilds the parts `work` plans for each drive, then moves them into the data directory. */
async function rebuildVersion(ctx: Context, work: VersionWork): Promise<{ badSources: boolean }> {
  const { set, bucket, result } = ctx;
  const version = work.quorum.version;
  const n = set.drives.length;
  const targets = [...Array(n).keys()].filter((slot) => work.fixable[slot] && work.rebuild[slot].length > 0);
  if (version.dataDir === '' || targets.length === 0) {
    // Inline shards go in with the record.
    for (let slot = 0; slot < n; slot++) {
      const inline = work.inline[slot];
      if (work.fixable[slot] && inline) {
        result.bytesPerDrive[slot] += inline.length;
        result.bytesWritten += inline.length;
      }
    }
    return { badSources: false };
  }
  const stagingId = `heal-${randomUUID()}`;
  let badSources = false;
  try {
    const parts = [...new Set(targets.flatMap((slot) => work.rebuild[slot]))].sort((a, b) => a - b);
    for (const part of parts) {
      const partTargets = targets.filter((slot) => work.fixable[slot] && work.rebuild[slot].includes(part));
      if (partTargets.length === 0) continue;
      const outcome = await rebuildPart(ctx, work, version.parts[part], work.sources[part], partTargets, stagingId);
      for (const slot of partTargets) {
        if (outcome.failed.has(slot)) work.fixable[slot] = false;
        else {
          result.bytesPerDrive[slot] += outcome.written[slot];
          result.bytesWritten += outcome.written[slot];
        }
      }
      if (outcome.error) result.reasons.push(`version ${work.id} part.${version.parts[part].number}: ${outcome.error}`);
      if (outcome.badSources) badSources = true;
    }
    const placed = await askDrives(
      set.drives,
      (drive, slot) => drive.commitHealedShards(stagingId, bucket, version.dataDir, work.rebuild[slot].map((part) => `part.${version.parts[part].number}`)),
      { only: set.drives.map((_, slot) => targets.includes(slot) && work.fixable[slot]) },
    );
    for (const { slot, error } of placed.failures()) {
      work.fixable[slot] = false;
      result.reasons.push(`drive ${slot + 1} (${set.drives[slot].endpoint}): rebuilt shards not placed: ${message(error)}`);
    }
  } finally {
    await discardStaging(
      targets.map((slot) => set.drives[slot]),
      stagingId,
    );
  }
  return { badSources };
}

interface PartOutcome {
  written: number[];
  failed: Set<number>;
  badSources: boolean;
  error?: string;
}

/** Streams one part's blocks: D verified shards in, every target's shard out to its staged file. */
async function rebuildPart(ctx: Context, work: VersionWork, part: PartRecord, sources: number[], targets: number[], stagingId: string): Promise<PartOutcome> {
  const { set, bucket, options } = ctx;
  const version = work.quorum.version;
  const { dataShards: D, parityShards: P, distribution, blockSize } = version.erasure;
  const layout = new ShardLayout(part.size, blockSize, D);
  const outcome: PartOutcome = { written: new Array<number>(set.drives.length).fill(0), failed: new Set(), badSources: false };
  const { writers: opened } = await openShardWriters(
    set.drives,
    stagingId,
    `part.${part.number}`,
    set.drives.map((_, slot) => targets.includes(slot)),
  );
  const writers = new Map<number, ShardWriter>();
  for (const slot of targets) {
    const writer = opened[slot];
    if (writer) writers.set(slot, writer);
    else outcome.failed.add(slot);
  }
  const reads = new ShardSources(
    bucket,
    set.drives,
    work.quorum,
    set.drives.map((_, slot) => sources.includes(slot)),
  );
  const codec = codecFor(D, P);
  try {
    for (let block = 0; block < layout.blockCount && writers.size > 0; block++) {
      const { shards, verified } = await reads.readShards(part.number, layout, block);
      if (verified < D) throw new Error(`block ${block}: only ${verified} of the ${D} shards needed could be read intact`);
      const rebuilt = codec.reconstruct(shards.map((shard) => shard ?? null));
      await Promise.all(
        [...writers].map(async ([slot, writer]) => {
          const shard = rebuilt[distribution[slot] - 1];
          try {
            await writer.write(frameShardBlock(shard));
            outcome.written[slot] += BITROT_HASH_SIZE + shard.length;
          } catch {
            outcome.failed.add(slot);
            writers.delete(slot);
            await writer.abort().catch(() => undefined);
          }
        }),
      );
      await options.pace?.();
    }
    await Promise.all(
      [...writers].map(async ([slot, writer]) => {
        try {
          await writer.finish();
        } catch {
          outcome.failed.add(slot);
        }
      }),
    );
  } catch (err) {
    outcome.error = message(err);
    for (const [slot, writer] of writers) {
      outcome.failed.add(slot);
      await writer.abort().catch(() => undefined);
    }
  } finally {
    await reads.close();
    outcome.badSources = reads.failed;
  }
  return outcome;
}
