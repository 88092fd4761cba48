/**
 * Object metadata records as every drive of a set stores them: one record per object key holding all
 * of its versions, newest first. Copies on different drives differ only in `erasure.index` and `inline`.
 */
import type { AccessControlList } from './acl.js';

export interface ErasureInfo {
  dataShards: number;
  parityShards: number;
  blockSize: number;
  /** 1-based shard index held by the drive that stores this copy. */
  index: number;
  /** distribution[driveSlot] = shard index (1-based) held by the set's drive at that slot. */
  distribution: number[];
  /**
   * Slots of the drives the version's commit was not sent to (offline when it was made), as the
   * writer recorded them; heal removes a slot when it gives the version to that drive. Such a drive
   * cannot hold the version, whatever it answers. Absent when the commit went to every drive.
   */
  notSentTo?: number[];
}

export interface Retention {
  mode: 'GOVERNANCE' | 'COMPLIANCE';
  until: number;
}

export interface PartRecord {
  number: number;
  size: number;
  etag: string;
  checksums?: Record<string, string>;
}

export interface VersionRecord {
  /** 'null' for objects written while versioning is off or suspended (see version-id.ts). */
  versionId: string;
  /** Modification time, ms since the epoch. */
  modTime: number;
  deleteMarker: boolean;
  size: number;
  etag: string;
  /** Directory of this version's part files; '' when the data is inline or there is none. */
  dataDir: string;
  /** System headers (content-type, cache-control, ...) and x-amz-meta-* user metadata, lower-cased names. */
  headers: Record<string, string>;
  /** x-amz-checksum-* values the client sent and we verified, by algorithm (CRC32, SHA256, ...). */
  checksums: Record<string, string>;
  /** COMPOSITE or FULL_OBJECT for multipart objects' checksums. */
  checksumType?: string;
  /** True for objects made by CompleteMultipartUpload (their ETag is not an MD5). */
  multipart?: boolean;
  /** The multipart upload that made it: a repeated CompleteMultipartUpload of it is answered with this version. */
  uploadId?: string;
  parts: PartRecord[];
  erasure: ErasureInfo;
  /** This drive's framed shard of a small object's data. */
  inline?: Uint8Array;
  /** Object tags, in the order they were given. */
  tags?: [string, string][];
  /** Object Lock retention: the version cannot be deleted before `until` (ms since the epoch). */
  retention?: Retention;
  /** Object Lock legal hold: the version cannot be deleted while it is on. */
  legalHold?: boolean;
  /** The version's owner and ACL grants, when ACLs were in force for it (absent: the bucket owner's, no grants). */
  acl?: AccessControlList;
  /**
   * How many times the version's attributes (tags; retention and legal hold to come) were changed in
   * place: such a change is committed like a new copy of the version, which replaces the old one.
   */
  revision?: number;
}

export interface ObjectRecord {
  versions: VersionRecord[];
  /**
   * The version the newest one replaced under the same version id (an overwrite of the `null`
   * version), as this drive held it. A commit is not atomic across drives: after a crash part-way,
   * some drives hold the new version and some the old, and the old would otherwise be known only to
   * the drives the commit missed. Version resolution serves it only when the drives' answers prove
   * its successor never reached write quorum (and so was never acknowledged).
   */
  replaced?: VersionRecord;
  /**
   * Set when `replaced` was not the current version when it was replaced (a versioned key whose
   * `null` version lay below newer ones): the current version before the commit is then `versions[1]`.
   */
  replacedWasNoncurrent?: true;
  /** The greatest lock fence of a writer of this record (set by the drive): older holders are refused. */
  fence?: number;
}

/** What of a version may change in place (see `revision`): tags, Object Lock's retention and legal hold, and its ACL. */
export interface VersionAttributes {
  tags?: [string, string][];
  retention?: Retention;
  legalHold?: boolean;
  acl?: AccessControlList;
}

const ATTRIBUTE_FIELDS = ['tags', 'retention', 'legalHold', 'acl'] as const;

/**
 * `version` with `change` applied: a field `change` names is set, or cleared when its value is
 * undefined (an empty tag set is cleared too); others stay.
 */
export function withAttributes<V extends VersionAttributes>(version: V, change: VersionAttributes): V {
  const out = { ...version };
  for (const field of ATTRIBUTE_FIELDS) {
    if (!(field in change)) continue;
    const value = change[field];
    // A legal hold turned off stays recorded as off (S3 tells "off" from "never set").
    if (value === undefined || (Array.isArray(value) && value.length === 0)) delete out[field];
    else (out as VersionAttributes)[field] = value as never;
  }
  return out;
}

/**
 * Identity of a version across drives: copies agree when these match. The attributes changed in
 * place are part of it, not only their revision: two changes cut short on different drives may
 * give one revision number to different attributes.
 */
export function versionSignature(v: VersionRecord): string {
  const attributes = ATTRIBUTE_FIELDS.some((field) => v[field] !== undefined) ? JSON.stringify(ATTRIBUTE_FIELDS.map((field) => v[field])) : '';
  return `${v.versionId}|${v.modTime}|${v.dataDir}|${v.etag}|${v.deleteMarker ? 1 : 0}|${v.size}|${v.revision ?? 0}|${attributes}`;
}

/** A multipart upload in progress, as every drive of its set stores it. */
export interface UploadRecord {
  uploadId: string;
  key: string;
  initiated: number;
  headers: Record<string, string>;
  erasure: ErasureInfo;
  /** Where the parts' shard files will live once the upload completes. */
  dataDir: string;
  /** Checksum algorithm and type declared at creation (x-amz-checksum-algorithm / -type). */
  checksumAlgorithm?: string;
  checksumType?: 'COMPOSITE' | 'FULL_OBJECT';
  /** Tags the object gets when the upload completes (x-amz-tagging at creation). */
  tags?: [string, string][];
  /** Object Lock settings the object gets when the upload completes. */
  retention?: Retention;
  legalHold?: boolean;
  /** The ACL the object gets when the upload completes. */
  acl?: AccessControlList;
}

/** One uploaded part of a multipart upload. */
export interface UploadPartRecord extends PartRecord {
  modTime: number;
  /** Its file in the upload's directory on this drive, set by the drive (`part.N` when absent: older records). */
  file?: string;
}
