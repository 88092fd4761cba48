/** Quorum rules (DESIGN §3) and choosing the version a quorum of drives agrees on. */
import { ObjectLayerError } from '../object/errors.js';
import { versionSignature, type ObjectRecord, type VersionRecord } from '../meta/record.js';

export function readQuorum(dataShards: number): number {
  return dataShards;
}

export function writeQuorum(dataShards: number, parityShards: number): number {
  return dataShards === parityShards ? dataShards + 1 : dataShards;
}

/** What one drive answered for a metadata read: a record, nothing, or a failure (offline, faulty). */
export type RecordAnswer = ObjectRecord | undefined | Error;

export interface QuorumVersion {
  version: VersionRecord;
  /** holders[slot] is true when the drive at `slot` has a matching copy of the version. */
  holders: boolean[];
  /**
   * copies[slot]: the holder's own copy (its shard index, its inline shard). It may be the drive's
   * `replaced` version rather than one of its versions, when the commit that replaced it failed.
   */
  copies: (VersionRecord | undefined)[];
}

export type QuorumOutcome =
  /**
   * `settled`: the version is the newest any drive shows and its write quorum holds it. A commit that
   * reached its write quorum is never undone, so a reader without the object's lock may serve it.
   */
  | { kind: 'found'; quorum: QuorumVersion; settled: boolean }
  /** Drives that answered agree the object (or version) is not there. */
  | { kind: 'absent' }
  /** Too many drives failed to answer to decide. */
  | { kind: 'unreadable' };

/** One candidate version: the drives holding identical copies, and the candidates it replaced. */
interface Candidate extends QuorumVersion {
  signature: string;
  replaces: Set<string>;
}

/** Finds a version of a record by id. Resolving every version of a key passes an indexed one (versionIndex). */
export type FindVersion = (record: ObjectRecord, versionId: string) => VersionRecord | undefined;

const findVersion: FindVersion = (record, versionId) => record.versions.find((v) => v.versionId === versionId);

/** A drive's own copy of the version `versionId`: undefined when it has none or did not answer. */
export function copyOf(answer: RecordAnswer, versionId: string): VersionRecord | undefined {
  return answer && !(answer instanceof Error) ? findVersion(answer, versionId) : undefined;
}

/** A FindVersion over the records' versions indexed by id once, for resolving many ids of the same records. */
export function versionIndex(): FindVersion {
  const indexes = new WeakMap<ObjectRecord, Map<string, VersionRecord>>();
  return (record, versionId) => {
    let index = indexes.get(record);
    if (!index) {
      index = new Map();
      for (const v of record.versions) if (!index.has(v.versionId)) index.set(v.versionId, v);
      indexes.set(record, index);
    }
    return index.get(versionId);
  };
}

/**
 * The version a drive showed before its newest commit replaced `version`: the one a reader falls
 * back to should that commit prove never to have reached its write quorum. For the current version
 * it is the one that was current before (a new version of a versioned key lies above the old one);
 * for a version id overwritten in place, the copy it replaced.
 */
function predecessor(record: ObjectRecord, version: VersionRecord, versionId: string | undefined): VersionRecord | undefined {
  const replaced = record.replaced?.versionId === version.versionId ? record.replaced : undefined;
  if (versionId !== undefined) return replaced;
  return replaced && !record.replacedWasNoncurrent ? replaced : record.versions[1];
}

/** Every candidate the drives' answers name for the version asked for, with who holds what. */
function gatherCandidates(answers: RecordAnswer[], versionId: string | undefined, find: FindVersion): Candidate[] {
  const candidates = new Map<string, Candidate>();
  const hold = (version: VersionRecord, slot: number): Candidate => {
    const signature = versionSignature(version);
    let candidate = candidates.get(signature);
    if (!candidate) {
      candidate = { version, signature, holders: answers.map(() => false), copies: answers.map(() => undefined), replaces: new Set() };
      candidates.set(signature, candidate);
    }
    candidate.holders[slot] = true;
    candidate.copies[slot] ??= version;
    return candidate;
  };
  answers.forEach((answer, slot) => {
    if (answer instanceof Error || !answer) return;
    const version = versionId === undefined ? answer.versions[0] : find(answer, versionId);
    if (!version) return;
    const current = hold(version, slot);
    const before = predecessor(answer, version, versionId);
    if (before) {
      const older = hold(before, slot);
      if (older !== current) current.replaces.add(older.signature);
    }
  });
  return [...candidates.values()];
}

/** Later by modification time; of two copies of one version, the one changed in place more often. */
function isNewer(a: VersionRecord, b: VersionRecord): boolean {
  return a.modTime > b.modTime || (a.modTime === b.modTime && (a.revision ?? 0) > (b.revision ?? 0));
}

/**
 * Slots whose drives may hold a copy of `candidate` they did not show: drives the commit was sent to
 * (each copy names those it was not sent to) that failed to answer, and, where `blanksCount`, drives
 * without any record of the key (they may have lost their records: a wiped or replaced drive).
 */
function maybeHidden(answers: RecordAnswer[], candidate: Candidate, blanksCount: boolean): number {
  const notSent = candidate.copies.reduce<Set<number> | undefined>((common, copy) => {
    if (!copy) return common;
    const own = new Set(copy.erasure.notSentTo ?? []);
    return common ? new Set([...common].filter((slot) => own.has(slot))) : own;
  }, undefined);
  return answers.filter((answer, slot) => !notSent?.has(slot) && (answer instanceof Error || (blanksCount && answer === undefined))).length;
}

/**
 * The version (the latest, or `versionId`) the drives' answers show as committed. Candidates are
 * judged newest first, where "newer" follows what replaced what on some drive before modification
 * times (clocks of nodes may disagree). The first candidate that at least its read quorum of drives
 * hold identically is the answer. A candidate short of read quorum is passed over only when the
 * drives that answered prove it never reached its write quorum (it was never acknowledged, and the
 * version it replaced is still intact): drives it was sent to that failed, and drives without any
 * record of the key, prove nothing there. If it may have reached it on drives that did not show it,
 * nothing older may stand in for it: 'unreadable'. With no candidate left, the outcome is
 * 'unreadable' if the drives that failed to answer may hold a committed version (a commit reaches at
 * least `minWriteQuorum` drives), else 'absent'.
 */
export function resolveVersion(answers: RecordAnswer[], versionId: string | undefined, minWriteQuorum: number, find: FindVersion = findVersion): QuorumOutcome {
  const failed = answers.filter((a) => a instanceof Error).length;
  let remaining = gatherCandidates(answers, versionId, find);
  let newestShown = true;
  while (remaining.length > 0) {
    const replaced = new Set(remaining.flatMap((c) => [...c.replaces]));
    const unreplaced = remaining.filter((c) => !replaced.has(c.signature));
    const pool = unreplaced.length > 0 ? unreplaced : remaining;
    const newest = pool.reduce((a, b) => (isNewer(b.version, a.version) ? b : a));
    const count = newest.holders.filter(Boolean).length;
    const { dataShards, parityShards } = newest.version.erasure;
    if (count >= readQuorum(dataShards)) {
      const { version, holders, copies } = newest;
      return { kind: 'found', quorum: { version, holders, copies }, settled: newestShown && count >= writeQuorum(dataShards, parityShards) };
    }
    // A drive with no record at all proves less than one holding the older version: it may have
    // lost its records (a wiped or replaced drive not yet healed). It never lets an older version
    // stand in for a newer one (the older one's data may be gone), though it may prove the newer
    // one dangling when nothing older is left.
    if (count + maybeHidden(answers, newest, remaining.length > 1) >= writeQuorum(dataShards, parityShards)) return { kind: 'unreadable' };
    remaining = remaining.filter((c) => c !== newest);
    newestShown = false;
  }
  return failed >= minWriteQuorum ? { kind: 'unreadable' } : { kind: 'absent' };
}

/**
 * Why a write reached only `reached` of the `quorum` drives it needed: when the drives refused for
 * want of space (`full`) alone kept it short, the drives are full (507, no use retrying); otherwise
 * write quorum was lost (503).
 */
export function missedWriteQuorum(reached: number, full: number, quorum: number): ObjectLayerError {
  return new ObjectLayerError(reached + full >= quorum ? 'storage-full' : 'write-quorum');
}

/** The smallest write quorum any object on a set of `drives` drives can have (parity at most half). */
export function minimumWriteQuorum(drives: number): number {
  const maxParity = Math.floor(drives / 2);
  return writeQuorum(drives - maxParity, maxParity);
}
