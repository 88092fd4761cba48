/**
 * What the cluster page reads: `GET /tessera/admin/v1/info` (nodes, drives, sets, healing, scanner:
 * src/heal/manager.ts info() and src/admin/server-info.ts) and `GET /tessera/admin/v1/metrics/history`
 * (src/admin/metrics-history.ts), typed as far as the page uses them.
 *
 * The types mirror those modules' own, declared again rather than imported: the server modules reach
 * the drives, node's APIs and the environment, and a type import would pull dozens of server files and
 * node's globals into the console's DOM-only type check.
 */
import { adminJson } from '../api/admin.js';
import type { Session } from '../api/session.js';

export type DriveState = 'online' | 'offline' | 'healing';

/** Mirrors HealingInfo (src/heal/manager.ts). */
export interface DriveHealing {
  /** `replaced`: the drive came back empty (wiped or new); `returned`: with its old contents. */
  reason: 'replaced' | 'returned';
  percent: number;
  objectsDone: number;
  objectsTotal: number;
  objectsFailed: number;
}

/** Mirrors DriveInfo (src/heal/manager.ts). */
export interface DriveInfo {
  endpoint: string;
  set: number;
  slot: number;
  state: DriveState;
  capacity?: { total: number; free: number; used: number };
  healing?: DriveHealing;
}

/** A node as src/admin/server-info.ts answers it. */
export interface NodeInfo {
  name: string;
  state: 'online' | 'offline';
  drives: DriveInfo[];
  version?: string;
  uptimeSeconds?: number;
  /** Why the node did not say its version and uptime. */
  error?: string;
}

/** Mirrors SetInfo (src/heal/manager.ts). */
export interface SetInfo {
  set: number;
  drives: number;
  online: number;
  healing: number;
  dataShards: number;
  parityShards: number;
  canLoseForRead: number;
  canLoseForWrite: number;
  readable: boolean;
  writable: boolean;
}

/** Mirrors ScannerState (src/heal/scanner.ts). */
export interface ScannerState {
  enabled: boolean;
  active: boolean;
  cycle: number;
  objects: number;
  healed: number;
  cycleStarted?: string;
  lastCycleFinished?: string;
  lastCycleSeconds?: number;
  nextCycle?: string;
}

/** What HealManager.info() (src/heal/manager.ts) and src/admin/server-info.ts answer together. */
export interface ClusterInfo {
  /** The node that answered (its heal queue and scanner are the ones shown). */
  node: string;
  nodes: NodeInfo[];
  sets: SetInfo[];
  drives: { total: number; online: number; healing: number; offline: number };
  background: boolean;
  healQueue: { length: number; dropped: number; current?: { bucket: string; key: string } };
  scanner: ScannerState;
  totals: { objectsScanned: number; objectsHealed: number };
}

/** Mirrors ClusterHistory (src/admin/metrics-history.ts). */
export interface ClusterHistory {
  intervalSeconds: number;
  nodes: string[];
  unreachable: { node: string; error: string }[];
  /** Seconds since the epoch at the end of each interval; the other columns line up with it. */
  time: number[];
  requestsPerSecond: number[];
  errors4xxPerSecond: number[];
  errors5xxPerSecond: number[];
  bytesInPerSecond: number[];
  bytesOutPerSecond: number[];
  /** Seconds. */
  p50: (number | null)[];
  p90: (number | null)[];
  p99: (number | null)[];
}

export function clusterInfo(session: Session, signal?: AbortSignal): Promise<ClusterInfo> {
  return adminJson<ClusterInfo>(session, 'GET', 'info', { permission: 'admin:ServerInfo', signal });
}

export function metricsHistory(session: Session, signal?: AbortSignal): Promise<ClusterHistory> {
  return adminJson<ClusterHistory>(session, 'GET', 'metrics/history', { permission: 'admin:Prometheus', signal });
}
