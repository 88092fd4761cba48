/**
 * What the cluster page reads: `GET /tessera/admin/v1/info` (nodes, drives, sets, healing, scanner:
 * src/heal/manager.ts info() and src/admin/server-info.ts) and `GET /tessera/admin/v1/metrics/history`
 * (src/admin/metrics-history.ts). The server's answer types come from its import-free type modules.
 */
import { adminJson } from '../api/admin.js';
import type { Session } from '../api/session.js';
import type { ClusterHistory } from '../../admin/history-types.js';
import type { DriveInfo, ScannerState, SetInfo } from '../../heal/info-types.js';

export type { ClusterHistory, DriveInfo, SetInfo };

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

export function clusterInfo(session: Session, signal?: AbortSignal): Promise<ClusterInfo> {
  return adminJson<ClusterInfo>(session, 'GET', 'info', { permission: 'admin:ServerInfo', signal });
}

export function metricsHistory(session: Session, signal?: AbortSignal): Promise<ClusterHistory> {
  return adminJson<ClusterHistory>(session, 'GET', 'metrics/history', { permission: 'admin:Prometheus', signal });
}
