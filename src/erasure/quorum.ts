/** Quorum rules (DESIGN §3) and choosing the version a quorum of drives agrees on. */
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
}

export type QuorumOutcome =
  | { kind: 'found'; quorum: QuorumVersion }
  /** Drives that answered agree the object (or version) is not there. */
  | { kind: 'absent' }
  /** Too many drives failed to answer to decide. */
  | { kind: 'unreadable' };

function pickVersion(record: ObjectRecord, versionId: string | undefined): VersionRecord | undefined {
  if (versionId === undefined) return record.versions[0];
  return record.versions.find((v) => v.versionId === versionId);
}

/**
 * The version (the latest, or `versionId`) that at least its read quorum of drives hold identically.
 * Ties between quorate candidates go to the newest. When no candidate has quorum, the outcome is
 * 'unreadable' if the drives that failed to answer may hold the missing copies of a committed
 * version (a commit reaches at least `minWriteQuorum` drives), else 'absent': the drives that did
 * answer prove there is no such version, or only the dangling remains of a failed write.
 */
export function resolveVersion(answers: RecordAnswer[], versionId: string | undefined, minWriteQuorum: number): QuorumOutcome {
  const groups = new Map<string, QuorumVersion>();
  const failed = answers.filter((a) => a instanceof Error).length;
  answers.forEach((answer, slot) => {
    if (answer instanceof Error || !answer) return;
    const version = pickVersion(answer, versionId);
    if (!version) return;
    const signature = versionSignature(version);
    let group = groups.get(signature);
    if (!group) {
      group = { version, holders: answers.map(() => false) };
      groups.set(signature, group);
    }
    group.holders[slot] = true;
  });
  let best: QuorumVersion | undefined;
  let mayBeHidden = failed >= minWriteQuorum;
  for (const group of groups.values()) {
    const count = group.holders.filter(Boolean).length;
    const { dataShards, parityShards } = group.version.erasure;
    if (count >= readQuorum(dataShards)) {
      if (!best || group.version.modTime > best.version.modTime) best = group;
    } else if (count + failed >= writeQuorum(dataShards, parityShards)) {
      mayBeHidden = true;
    }
  }
  if (best) return { kind: 'found', quorum: best };
  return mayBeHidden ? { kind: 'unreadable' } : { kind: 'absent' };
}

/** The smallest write quorum any object on a set of `drives` drives can have (parity at most half). */
export function minimumWriteQuorum(drives: number): number {
  const maxParity = Math.floor(drives / 2);
  return writeQuorum(drives - maxParity, maxParity);
}
