/**
 * What the cluster page reads: `GET /tessera/admin/v1/info` (nodes, drives, sets, healing, scanner:
 * src/heal/manager.ts info() and src/admin/server-info.ts) and `GET /tessera/admin/v1/metrics/history`
 * (src/admin/metrics-history.ts), typed as far as the page uses them.
 */
import { adminJson } from '../api/admin.js';
import type { Session } from '../api/session.js';

export type DriveState = 'online' | 'offline' | 'healing';

export interface DriveHealing {
  /** `replaced`: the drive came back empty (wiped or new); `returned`: with its old contents. */
  reason: 'replaced' | 'returned';
  percent: number;
  objectsDone: number;
  objectsTotal: number;
  objectsFailed: number;
}

export interface DriveInfo {
  endpoint: string;
  set: number;
  slot: number;
  state: DriveState;
  capacity?: { total: number; free: number; used: number };
  healing?: DriveHealing;
}

export interface NodeInfo {
  name: string;
  state: 'online' | 'offline';
  drives: DriveInfo[];
  version?: string;
  uptimeSeconds?: number;
  /** Why the node did not say its version and uptime. */
  error?: string;
}

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
