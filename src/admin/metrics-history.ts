/**
 * The last hour of S3 traffic, for the console's charts: every interval (10 s) each node samples its
 * request counters and duration histogram from its metrics registry (the numbers /tessera/metrics
 * shows) and keeps what they grew by in a ring of 360 intervals. `GET /tessera/admin/v1/metrics/history`
 * asks every node for its ring (the `metrics-history` query) and sums them interval by interval.
 *
 *   TESSERA_METRICS_HISTORY_INTERVAL_MS  how often each node samples (default 10000; at least 100).
 *                                        The ring keeps 360 intervals: an hour at the default.
 */
import { envNumber } from '../env.js';
import { REQUEST_DURATION_BOUNDS, STATUS_CLASSES, type RequestTotals } from './metrics.js';
import { payloadObject, type ClusterView } from './cluster-view.js';
import type { ClusterHistory } from './history-types.js';

export const HISTORY_INTERVALS = 360;
const DEFAULT_INTERVAL_MS = 10_000;

export function historyIntervalFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  return envNumber(env, 'TESSERA_METRICS_HISTORY_INTERVAL_MS', DEFAULT_INTERVAL_MS, 100);
}

/** The newest `capacity` items pushed, in a fixed-size array: pushing onto a full ring drops the oldest. */
export class Ring<T> {
  private readonly slots: (T | undefined)[];
  private next = 0;
  private size = 0;

  constructor(readonly capacity: number) {
    this.slots = new Array<T | undefined>(capacity).fill(undefined);
  }

  push(item: T): void {
    this.slots[this.next] = item;
    this.next = (this.next + 1) % this.capacity;
    this.size = Math.min(this.size + 1, this.capacity);
  }

  /** Oldest first. */
  items(): T[] {
    const start = (this.next - this.size + this.capacity) % this.capacity;
    return Array.from({ length: this.size }, (_, i) => this.slots[(start + i) % this.capacity] as T);
  }
}

/** What one node's counters grew by in one interval. */
export interface Interval {
  /** When it ended, in ms since the epoch, rounded to a multiple of the interval (by that node's clock). */
  end: number;
  /** How long it really lasted. */
  seconds: number;
  /** Requests answered 2xx, 3xx, 4xx, 5xx. */
  requests: number[];
  bytesIn: number;
  bytesOut: number;
  /** Requests that took at most each REQUEST_DURATION_BOUNDS, then all (+Inf): cumulative. */
  durationBuckets: number[];
}

/** A node's ring, as the `metrics-history` query answers it. */
export interface NodeHistory {
  intervalMs: number;
  intervals: Interval[];
}

function grown(before: number, after: number): number {
  return Math.max(0, after - before);
}

/** The interval between two readings of the counters. */
export function intervalBetween(before: RequestTotals, after: RequestTotals, seconds: number, end: number): Interval {
  return {
    end,
    seconds,
    requests: STATUS_CLASSES.map((c) => grown(before.requests[c], after.requests[c])),
    bytesIn: grown(before.bytesIn, after.bytesIn),
    bytesOut: grown(before.bytesOut, after.bytesOut),
    durationBuckets: after.durationBuckets.map((n, i) => grown(before.durationBuckets[i] ?? 0, n)),
  };
}

/**
 * The `q` quantile (0..1) of durations counted in cumulative histogram buckets with upper `bounds`
 * (the last bucket, +Inf, after them), interpolated linearly inside its bucket as Prometheus'
 * histogram_quantile does; one in the +Inf bucket is given the largest finite bound. Null with no counts.
 */
export function quantile(bounds: readonly number[], cumulative: readonly number[], q: number): number | null {
  const total = cumulative[cumulative.length - 1] ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  for (let i = 0; i < cumulative.length; i++) {
    if (cumulative[i] < rank) continue;
    if (i >= bounds.length) return bounds[bounds.length - 1];
    const lower = i === 0 ? 0 : bounds[i - 1];
    const below = i === 0 ? 0 : cumulative[i - 1];
    const inBucket = cumulative[i] - below;
    return inBucket <= 0 ? bounds[i] : lower + ((bounds[i] - lower) * (rank - below)) / inBucket;
  }
  return bounds[bounds.length - 1];
}

/** Samples this node's counters every interval, on the wall clock's multiples of it. */
export class MetricsHistory {
  private readonly ring = new Ring<Interval>(HISTORY_INTERVALS);
  private last?: { at: number; totals: RequestTotals };
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly read: () => Promise<RequestTotals>,
    readonly intervalMs: number,
  ) {}

  start(): void {
    void this.sample().catch(() => undefined);
    this.schedule();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Reads the counters now; from the second reading on, keeps the interval since the last. */
  async sample(now = Date.now()): Promise<void> {
    const totals = await this.read();
    if (this.last) this.ring.push(intervalBetween(this.last.totals, totals, (now - this.last.at) / 1000, Math.round(now / this.intervalMs) * this.intervalMs));
    this.last = { at: now, totals };
  }

  history(): NodeHistory {
    return { intervalMs: this.intervalMs, intervals: this.ring.items() };
  }

  private schedule(): void {
    const wait = this.intervalMs - (Date.now() % this.intervalMs);
    this.timer = setTimeout(() => {
      void this.sample().catch(() => undefined);
      this.schedule();
    }, wait);
    this.timer.unref();
  }
}

/** Serves the `metrics-history` query: this node's ring. */
export function historyQueryHandler(history: MetricsHistory) {
  return async (payload: unknown): Promise<NodeHistory> => {
    payloadObject(payload, 'metrics-history');
    return history.history();
  };
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const isCounts = (v: unknown, length: number): v is number[] => Array.isArray(v) && v.length === length && v.every(isCount);

/** Another node's ring, checked field by field (throws when it is not one). */
export function checkNodeHistory(answer: unknown, intervalMs: number): Interval[] {
  const history = payloadObject(answer, 'metrics-history answer');
  if (history.intervalMs !== intervalMs) throw new Error(`it samples every ${String(history.intervalMs)} ms, this node every ${intervalMs} ms`);
  const intervals = history.intervals;
  if (!Array.isArray(intervals) || intervals.length > HISTORY_INTERVALS) throw new Error('invalid metrics-history answer');
  return intervals.map((raw: unknown) => {
    const i = payloadObject(raw, 'metrics-history answer');
    const ok =
      isCount(i.end) &&
      isCount(i.seconds) &&
      (i.seconds as number) > 0 &&
      isCounts(i.requests, STATUS_CLASSES.length) &&
      isCount(i.bytesIn) &&
      isCount(i.bytesOut) &&
      isCounts(i.durationBuckets, REQUEST_DURATION_BOUNDS.length + 1);
    if (!ok) throw new Error('invalid metrics-history answer');
    return { end: i.end, seconds: i.seconds, requests: i.requests, bytesIn: i.bytesIn, bytesOut: i.bytesOut, durationBuckets: i.durationBuckets } as Interval;
  });
}


/** Sums the nodes' intervals that ended at the same multiple of the interval; rates per second of each node's own interval. */
export function sumHistories(intervalMs: number, perNode: Interval[][]): Omit<ClusterHistory, 'nodes' | 'unreachable'> {
  const slots = new Map<number, { requests: number[]; bytesIn: number; bytesOut: number; buckets: number[] }>();
  for (const intervals of perNode) {
    for (const i of intervals) {
      const slot = Math.round(i.end / intervalMs);
      let sum = slots.get(slot);
      if (!sum) slots.set(slot, (sum = { requests: STATUS_CLASSES.map(() => 0), bytesIn: 0, bytesOut: 0, buckets: new Array<number>(REQUEST_DURATION_BOUNDS.length + 1).fill(0) }));
      i.requests.forEach((n, c) => (sum.requests[c] += n / i.seconds));
      sum.bytesIn += i.bytesIn / i.seconds;
      sum.bytesOut += i.bytesOut / i.seconds;
      i.durationBuckets.forEach((n, b) => (sum.buckets[b] += n));
    }
  }
  const ordered = [...slots.entries()].sort((a, b) => a[0] - b[0]).slice(-HISTORY_INTERVALS);
  const column = <T>(of: (s: (typeof ordered)[number][1]) => T): T[] => ordered.map(([, s]) => of(s));
  const round = (n: number): number => Math.round(n * 1000) / 1000;
  return {
    intervalSeconds: intervalMs / 1000,
    time: ordered.map(([slot]) => (slot * intervalMs) / 1000),
    requestsPerSecond: column((s) => round(s.requests.reduce((a, b) => a + b, 0))),
    errors4xxPerSecond: column((s) => round(s.requests[2])),
    errors5xxPerSecond: column((s) => round(s.requests[3])),
    bytesInPerSecond: column((s) => Math.round(s.bytesIn)),
    bytesOutPerSecond: column((s) => Math.round(s.bytesOut)),
    p50: column((s) => quantile(REQUEST_DURATION_BOUNDS, s.buckets, 0.5)),
    p90: column((s) => quantile(REQUEST_DURATION_BOUNDS, s.buckets, 0.9)),
    p99: column((s) => quantile(REQUEST_DURATION_BOUNDS, s.buckets, 0.99)),
  };
}

/** Every node's last hour, summed; a node that does not answer (or answers nonsense) is listed as unreachable. */
export async function clusterHistory(history: MetricsHistory, cluster: ClusterView): Promise<ClusterHistory> {
  const answers = await cluster.askPeers<unknown>('metrics-history', {});
  const nodes = [cluster.self];
  const perNode = [history.history().intervals];
  const unreachable: ClusterHistory['unreachable'] = [];
  for (const a of answers) {
    if ('error' in a) {
      unreachable.push({ node: a.node, error: a.error });
      continue;
    }
    try {
      perNode.push(checkNodeHistory(a.answer, history.intervalMs));
      nodes.push(a.node);
    } catch (err) {
      unreachable.push({ node: a.node, error: (err as Error).message });
    }
  }
  return { nodes, unreachable, ...sumHistories(history.intervalMs, perNode) };
}
