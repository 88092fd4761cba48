/**
 * What `GET /tessera/admin/v1/metrics/history` answers (see metrics-history.ts). Types only, importing
 * nothing, so the browser console (src/console) imports them as they are.
 */

/** The cluster's traffic, one entry per interval in each column, oldest first. */
export interface ClusterHistory {
  intervalSeconds: number;
  /** Nodes whose intervals are summed here. */
  nodes: string[];
  unreachable: { node: string; error: string }[];
  /** End of each interval, seconds since the epoch. */
  time: number[];
  requestsPerSecond: number[];
  errors4xxPerSecond: number[];
  errors5xxPerSecond: number[];
  bytesInPerSecond: number[];
  bytesOutPerSecond: number[];
  /** Request duration percentiles in seconds (null: no requests in the interval). */
  p50: (number | null)[];
  p90: (number | null)[];
  p99: (number | null)[];
}
