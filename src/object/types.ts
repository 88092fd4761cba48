/**
 * The ObjectLayer: everything the S3 layer may ask of storage. It speaks in buckets, keys and
 * streams; how objects are coded and placed is the erasure layer's business.
 */
import type { Readable } from 'node:stream';

export interface BucketInfo {
  name: string;
  created: Date;
}

export interface ObjectInfo {
  bucket: string;
  key: string;
  versionId: string;
  size: number;
  etag: string;
  modTime: Date;
  deleteMarker: boolean;
  /** Content headers and x-amz-meta-* user metadata, lower-cased names. */
  headers: Record<string, string>;
  /** Verified x-amz-checksum-* values by algorithm (CRC32, CRC32C, CRC64NVME, SHA1, SHA256). */
  checksums: Record<string, string>;
  partCount: number;
}

/** What a fully received body proved about itself. */
export interface SealedBody {
  etag: string;
  size: number;
  checksums: Record<string, string>;
}

export interface PutBody {
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

export interface ListResult {
  objects: ObjectInfo[];
  prefixes: string[];
  isTruncated: boolean;
  /** The last key or common prefix returned (ListObjects NextMarker). */
  nextMarker?: string;
  /** Opaque position to continue from (ListObjectsV2 continuation token). */
  nextPosition?: string;
}

export interface ObjectLayer {
  makeBucket(bucket: string): Promise<void>;
  getBucketInfo(bucket: string): Promise<BucketInfo>;
  listBuckets(): Promise<BucketInfo[]>;
  deleteBucket(bucket: string): Promise<void>;

  putObject(bucket: string, key: string, body: PutBody, options: PutOptions): Promise<ObjectInfo>;
  getObjectInfo(bucket: string, key: string): Promise<ObjectInfo>;
  /** `resolveRange` sees the object's info and returns the range to read (or undefined for all). */
  getObject(bucket: string, key: string, resolveRange?: (info: ObjectInfo) => ByteRange | undefined): Promise<ObjectReader>;
  deleteObject(bucket: string, key: string): Promise<void>;
  listObjects(bucket: string, options: ListOptions): Promise<ListResult>;

  /** True while a write quorum of every set is online. */
  isWritable(): boolean;
  close(): Promise<void>;
}
