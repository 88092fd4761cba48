/**
 * The ObjectLayer: everything the S3 layer may ask of storage. It speaks in buckets, keys and
 * streams; how objects are coded and placed is the erasure layer's business.
 */
import type { BucketConfig } from '../meta/bucket-config.js';
import type { Retention, VersionAttributes } from '../meta/record.js';
import type { AccessControlList } from '../meta/acl.js';

export type { Retention, VersionAttributes };
import type { Readable } from 'node:stream';

export interface BucketInfo {
  name: string;
  created: Date;
  /** The newest stamp of the bucket's configuration its drives show; 0 when it has none. */
  configStamp: number;
}

/** A bucket's versioning state once it was ever set (a bucket never versioned has none). */
export type Versioning = 'Enabled' | 'Suspended';

export interface ObjectInfo {
  bucket: string;
  key: string;
  /** `null` for a version written while versioning was off or suspended. */
  versionId: string;
  size: number;
  etag: string;
  modTime: Date;
  deleteMarker: boolean;
  /** Content headers and x-amz-meta-* user metadata, lower-cased names. */
  headers: Record<string, string>;
  /** Verified x-amz-checksum-* values by algorithm (CRC32, CRC32C, CRC64NVME, SHA1, SHA256). */
  checksums: Record<string, string>;
  /** COMPOSITE or FULL_OBJECT, for checksums of multipart objects. */
  checksumType?: string;
  /** Sizes and ETags of the parts (one part for a simple PUT). */
  parts: ObjectPart[];
  /** True for objects made by CompleteMultipartUpload. */
  multipart: boolean;
  /** The bucket's versioning state as this node knew it when it wrote or read the version. */
  versioning?: Versioning;
  /** Object tags, in the order they were given; absent when it has none. */
  tags?: [string, string][];
  /** Object Lock retention and legal hold; absent when none. */
  retention?: Retention;
  legalHold?: boolean;
  /** The version's owner and grants, when ACLs were in force for it. */
  acl?: AccessControlList;
  /** When a lifecycle rule of the bucket expires this (current) version, and which rule. */
  expiration?: { at: number; ruleId: string };
}

export interface ObjectPart {
  number: number;
  size: number;
  etag: string;
  checksums?: Record<string, string>;
}

/** What a fully received body proved about itself. */
export interface SealedBody {
  etag: string;
  size: number;
  checksums: Record<string, string>;
}

export interface PutBody {
  /** The bytes; a chunk once yielded is the reader's (it may be kept until its block is complete), never reused. */
  stream: AsyncIterable<Buffer>;
  /**
   * Called once the stream has ended and before anything becomes visible: verifies every digest the
   * client declared and returns what to record. Throwing refuses the write.
   */
  seal(): SealedBody;
}

export interface PutOptions {
  headers: Record<string, string>;
  /** Parity shards for this object; the set's default when absent. */
  parity?: number;
  /** Checked against the current version (undefined when none) under the object's lock; throws to refuse the write. */
  precondition?: (current: ObjectInfo | undefined) => void;
  /** Tags, retention and legal hold the new version starts with (already checked against S3's rules). */
  attributes?: VersionAttributes;
  /** false: the request proves nothing of its body (no Content-MD5 nor checksum), and Object Lock settings it gives are refused, as AWS refuses them. */
  bodyDigest?: boolean;
}

/** Which version a read is of, and which of its bytes. */
export interface ReadOptions {
  /** The version with this id; the current one when absent. */
  versionId?: string;
  /** Sees the version's info and returns the range to read (or undefined for all). */
  range?: (info: ObjectInfo) => ByteRange | undefined;
}

/** What a DELETE did: the version it removed, or the delete marker it made. */
export interface DeleteOutcome {
  /** Absent when versioning was never on (the `null` version went). */
  versionId?: string;
  /** The version removed was a delete marker, or the delete made one. */
  deleteMarker: boolean;
}

export interface DeleteOptions {
  /** x-amz-bypass-governance-retention: a version under GOVERNANCE retention may go. */
  bypassGovernance?: boolean;
  /**
   * The delete happens only while the version it is about (the one named, or the current one a
   * delete marker would go above) still has this modification time; else 'precondition-failed'.
   * Lifecycle acts on what a listing showed, and a client may have written since.
   */
  expectedModTime?: number;
  /**
   * With a version id: judged under the object's lock on the key's versions as the drives show them
   * then (newest first) and the position of the version to delete; false (or the version gone) is
   * 'precondition-failed'. Lifecycle re-judges its rule on what is there when it acts.
   */
  stillDue?: (versions: VersionSummary[], index: number) => boolean;
  /** Judged under the object's lock on the version a delete is about (its tags, size): false is 'precondition-failed'. */
  stillDueVersion?: (version: ObjectInfo) => boolean;
}

/** What a rule can judge of a version without reading it. */
export interface VersionSummary {
  versionId: string;
  modTime: number;
  size: number;
  deleteMarker: boolean;
}

/** An inclusive byte range already validated against the object size. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface ObjectReader {
  info: ObjectInfo;
  range?: ByteRange;
  /** The requested bytes; errors (never unverified bytes) if the data turns unreadable mid-way. */
  stream: Readable;
}

export interface ListOptions {
  prefix: string;
  delimiter: string;
  /** Exclusive: list keys after this one (ListObjects marker, V2 start-after). */
  after?: string;
  /** Resume from an opaque position returned as `nextPosition`. */
  position?: string;
  maxKeys: number;
}

/** What a listing shows of one object. */
export interface ListedObject {
  key: string;
  size: number;
  etag: string;
  modTime: Date;
  /** The storage class it was written with; absent for STANDARD. */
  storageClass?: string;
  /** Algorithms of the x-amz-checksum-* values it carries. */
  checksumAlgorithms: string[];
}

export interface ListResult {
  objects: ListedObject[];
  prefixes: string[];
  isTruncated: boolean;
  /** The last key or common prefix returned (ListObjects NextMarker). */
  nextMarker?: string;
  /** Opaque position to continue from (ListObjectsV2 continuation token). */
  nextPosition?: string;
}

export interface StorageCapacity {
  capacity: number;
  available: number;
  used: number;
}

export interface ListVersionsOptions {
  prefix: string;
  delimiter: string;
  /** List versions of keys after this one, or (with versionIdMarker) this key's versions after that one. */
  keyMarker?: string;
  versionIdMarker?: string;
  maxKeys: number;
}

/** What ListObjectVersions shows of one version (or delete marker). */
export interface ListedObjectVersion extends ListedObject {
  versionId: string;
  isLatest: boolean;
  deleteMarker: boolean;
}

export interface ListVersionsResult {
  versions: ListedObjectVersion[];
  prefixes: string[];
  isTruncated: boolean;
  nextKeyMarker?: string;
  nextVersionIdMarker?: string;
}

export interface UploadInfo {
  bucket: string;
  key: string;
  uploadId: string;
  initiated: Date;
  headers: Record<string, string>;
  checksumAlgorithm?: string;
  checksumType?: 'COMPOSITE' | 'FULL_OBJECT';
}

export interface PartInfo {
  number: number;
  size: number;
  etag: string;
  modTime: Date;
  checksums?: Record<string, string>;
}

export interface NewUploadOptions {
  headers: Record<string, string>;
  /** Tags, retention and legal hold the object gets when the upload completes. */
  attributes?: VersionAttributes;
  parity?: number;
  checksumAlgorithm?: string;
  checksumType?: 'COMPOSITE' | 'FULL_OBJECT';
}

export interface CompleteOptions {
  /** Computes the object's checksums from the chosen parts (or throws to refuse). */
  checksums: (upload: UploadInfo, parts: PartInfo[]) => Record<string, string>;
  precondition?: (current: ObjectInfo | undefined) => void;
}

export interface ObjectLayer {
  /** With `config`, the bucket starts with that configuration (Object Lock at creation). */
  makeBucket(bucket: string, config?: Omit<BucketConfig, 'stamp'>): Promise<void>;
  getBucketInfo(bucket: string): Promise<BucketInfo>;
  listBuckets(): Promise<BucketInfo[]>;
  deleteBucket(bucket: string): Promise<void>;
  /** The bucket's configuration as every node sees it once a change was acknowledged; `{ stamp: 0 }` when it has none. */
  getBucketConfig(bucket: string): Promise<BucketConfig>;
  /** Changes the bucket's configuration: `change` is given the newest one and returns its successor (the stamp is set here). */
  updateBucketConfig(bucket: string, change: (current: BucketConfig) => Omit<BucketConfig, 'stamp'>): Promise<BucketConfig>;

  /** A new version: a new id when the bucket's versioning is Enabled, else the `null` version, replaced. */
  putObject(bucket: string, key: string, body: PutBody, options: PutOptions): Promise<ObjectInfo>;
  getObjectInfo(bucket: string, key: string, versionId?: string): Promise<ObjectInfo>;
  getObject(bucket: string, key: string, options?: ReadOptions): Promise<ObjectReader>;
  /** With `versionId`, removes that version for good; without, as the bucket's versioning says (a delete marker, or the `null` version goes). */
  deleteObject(bucket: string, key: string, versionId?: string, options?: DeleteOptions): Promise<DeleteOutcome>;
  listObjects(bucket: string, options: ListOptions): Promise<ListResult>;
  listObjectVersions(bucket: string, options: ListVersionsOptions): Promise<ListVersionsResult>;
  /**
   * Changes attributes of a version (the current one, or `versionId`) in place, under the object's
   * lock: `change` is given the version and returns the attributes to set (a field given as undefined
   * is cleared; see withAttributes), or throws to refuse. A delete marker has none to change.
   */
  updateObjectAttributes(bucket: string, key: string, versionId: string | undefined, change: (current: ObjectInfo) => VersionAttributes): Promise<ObjectInfo>;

  newMultipartUpload(bucket: string, key: string, options: NewUploadOptions): Promise<UploadInfo>;
  /** `body` makes the part's body once the upload is found (it is given the upload's checksum algorithm). */
  putObjectPart(bucket: string, key: string, uploadId: string, partNumber: number, body: (upload: UploadInfo) => PutBody): Promise<PartInfo>;
  listObjectParts(bucket: string, key: string, uploadId: string): Promise<{ upload: UploadInfo; parts: PartInfo[] }>;
  /**
   * Commits the upload's chosen parts as the object. A repeated request for an upload that completed
   * (its answer lost, a client's retry) is answered with the version it made, as S3 answers it, while
   * that version is there and the request names the same parts.
   */
  completeMultipartUpload(bucket: string, key: string, uploadId: string, parts: { number: number; etag: string }[], options: CompleteOptions): Promise<ObjectInfo>;
  abortMultipartUpload(bucket: string, key: string, uploadId: string): Promise<void>;
  /** Uploads in progress in `bucket` whose keys start with `prefix`, by key then initiation time. */
  listMultipartUploads(bucket: string, prefix: string): Promise<UploadInfo[]>;

  /** True while a write quorum of every set is online. */
  isWritable(): boolean;
  /** What the drives hold for objects, in bytes, after parity (Veeam's capacity.xml). */
  capacity(): Promise<StorageCapacity>;
  close(): Promise<void>;
}
