/**
 * What `GET /tessera/admin/v1/info` says of drives, sets, healing and the scanner, as JSON reaches a
 * client. Types only, importing nothing, so the browser console (src/console) imports them as they are.
 */

export interface DriveInfo {
  endpoint: string;
  set: number;
  slot: number;
  state: 'online' | 'offline' | 'healing';
  local: boolean;
  /** Bytes of the drive's filesystem (absent when the drive did not say). */
  capacity?: { total: number; free: number; used: number };
  healing?: HealingInfo;
}

export interface HealingInfo {
  /** `replaced`: the drive came back empty (wiped or new); `returned`: with its old contents. */
  reason: 'replaced' | 'returned';
  started: string;
  updated: string;
  finished?: string;
  objectsDone: number;
  objectsTotal: number;
  objectsRemaining: number;
  objectsHealed: number;
  objectsFailed: number;
  bytesDone: number;
  percent: number;
  bucket?: string;
  lastKey?: string;
  lastError?: string;
  resumed: number;
}

export interface SetInfo {
  set: number;
  drives: number;
  online: number;
  healing: number;
  dataShards: number;
  parityShards: number;
  readQuorum: number;
  writeQuorum: number;
  /** More drives that may fail (counting healing drives as failed) with the set still readable / writable. */
  canLoseForRead: number;
  canLoseForWrite: number;
  readable: boolean;
  writable: boolean;
}

export interface ScannerState {
  enabled: boolean;
  /** A cycle is running. */
  active: boolean;
  /** Cycles started since the process started. */
  cycle: number;
  /** The running (or last) cycle re-hashes every block. */
  deep: boolean;
  set?: number;
  bucket?: string;
  lastKey?: string;
  /** Counts of the running (or last) cycle. */
  objects: number;
  healed: number;
  failed: number;
  removed: number;
  orphansRemoved: number;
  cycleStarted?: string;
  lastCycleFinished?: string;
  lastCycleSeconds?: number;
  nextCycle?: string;
}
