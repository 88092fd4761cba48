/**
 * The metrics history's parts: the fixed-size ring keeps the newest intervals in order; intervals are
 * what the counters grew by; percentiles come out of summed histogram buckets as Prometheus'
 * histogram_quantile computes them; the nodes' intervals are summed by when they ended; a peer's
 * answer that is not a history is refused.
 */
import { describe, expect, it } from 'vitest';
import { checkNodeHistory, HISTORY_INTERVALS, intervalBetween, MetricsHistory, quantile, Ring, sumHistories, type Interval } from '../../src/admin/metrics-history.js';
import { REQUEST_DURATION_BOUNDS, type RequestTotals } from '../../src/admin/metrics.js';

const BUCKETS = REQUEST_DURATION_BOUNDS.length + 1;

function totals(requests: number[], bytesIn: number, bytesOut: number, buckets: number[] = new Array<number>(BUCKETS).fill(0)): RequestTotals {
  return { requests: { '2xx': requests[0], '3xx': requests[1], '4xx': requests[2], '5xx': requests[3] }, bytesIn, bytesOut, durationBuckets: buckets };
}

/** Cumulative buckets for `count` requests that each took `seconds`. */
function bucketsOf(...observations: [seconds: number, count: number][]): number[] {
  return [...REQUEST_DURATION_BOUNDS, Infinity].map((bound) => observations.filter(([s]) => s <= bound).reduce((n, [, c]) => n + c, 0));
}

describe('Ring', () => {
  it('keeps the newest items, oldest first, in a fixed size', () => {
    const ring = new Ring<number>(3);
    expect(ring.items()).toEqual([]);
    ring.push(1);
    ring.push(2);
    expect(ring.items()).toEqual([1, 2]);
    for (let i = 3; i <= 8; i++) ring.push(i);
    expect(ring.items()).toEqual([6, 7, 8]);
  });
});

describe('quantile', () => {
  const bounds = [1, 2, 4];

  it('interpolates inside the bucket the rank falls in', () => {
    // 10 requests: 4 up to 1 s, 4 in (1, 2], 2 in (2, 4].
    const cumulative = [4, 8, 10, 10];
    expect(quantile(bounds, cumulative, 0.2)).toBeCloseTo(0.5);
    expect(quantile(bounds, cumulative, 0.5)).toBeCloseTo(1.25);
    expect(quantile(bounds, cumulative, 0.9)).toBeCloseTo(3);
    expect(quantile(bounds, cumulative, 1)).toBeCloseTo(4);
  });

  it('answers the largest finite bound for ranks in the +Inf bucket, and null without requests', () => {
    expect(quantile(bounds, [0, 0, 1, 10], 0.99)).toBe(4);
    expect(quantile(bounds, [0, 0, 0, 0], 0.5)).toBeNull();
  });

  it('skips empty buckets before the rank', () => {
    expect(quantile(bounds, [0, 0, 5, 5], 0.5)).toBeCloseTo(3);
  });
});

describe('intervals', () => {
  it('are what the counters grew by, never negative', () => {
    const before = totals([10, 1, 2, 0], 100, 1000, bucketsOf([0.01, 13]));
    const after = totals([15, 1, 4, 1], 160, 1500, bucketsOf([0.01, 15], [0.2, 5]));
    const interval = intervalBetween(before, after, 10, 20_000);
    expect(interval).toEqual({ end: 20_000, seconds: 10, requests: [5, 0, 2, 1], bytesIn: 60, bytesOut: 500, durationBuckets: bucketsOf([0.01, 2], [0.2, 5]) });
    expect(intervalBetween(after, before, 10, 30_000).requests).toEqual([0, 0, 0, 0]);
  });

  it('are kept from the second sample on, ended on a multiple of the interval, at most HISTORY_INTERVALS of them', async () => {
    let n = 0;
    const history = new MetricsHistory(async () => totals([n, 0, 0, 0], 0, 0), 1000);
    await history.sample(5_003);
    expect(history.history().intervals).toEqual([]);
    for (let i = 1; i <= HISTORY_INTERVALS + 5; i++) {
      n += i;
      await history.sample(5_003 + i * 1000);
    }
    const { intervals } = history.history();
    expect(intervals).toHaveLength(HISTORY_INTERVALS);
    expect(intervals[intervals.length - 1]).toMatchObject({ end: 5_000 + (HISTORY_INTERVALS + 5) * 1000, seconds: 1, requests: [HISTORY_INTERVALS + 5, 0, 0, 0] });
    expect(intervals[0].requests[0]).toBe(6);
  });
});

describe('sumHistories', () => {
  const interval = (end: number, seconds: number, requests: number[], buckets: number[]): Interval => ({ end, seconds, requests, bytesIn: 1000, bytesOut: 4000, durationBuckets: buckets });

  it('sums the nodes interval by interval, as rates, with percentiles of the summed buckets', () => {
    const a = [interval(10_000, 10, [100, 0, 10, 0], bucketsOf([0.004, 100], [0.02, 10])), interval(20_000, 10, [10, 0, 0, 0], bucketsOf([0.004, 10]))];
    // Node b ended its interval 3 ms late by its clock: the same interval still.
    const b = [interval(20_003, 5, [50, 0, 0, 5], bucketsOf([3, 55]))];
    const summed = sumHistories(10_000, [a, b]);
    expect(summed.time).toEqual([10, 20]);
    expect(summed.requestsPerSecond).toEqual([11, 1 + 11]);
    expect(summed.errors4xxPerSecond).toEqual([1, 0]);
    expect(summed.errors5xxPerSecond).toEqual([0, 1]);
    expect(summed.bytesInPerSecond).toEqual([100, 100 + 200]);
    expect(summed.bytesOutPerSecond).toEqual([400, 400 + 800]);
    // Interval 1: 110 requests, 100 of them in (0.0025, 0.005]: the median at 0.0025 + 0.0025 * 55/100.
    expect(summed.p50[0]).toBeCloseTo(0.002_5 + 0.002_5 * 0.55);
    expect(summed.p99[0]).toBeGreaterThan(0.01);
    // Interval 2: 10 fast requests on a, 55 slow ones on b: the median among the slow ones, in (2.5, 5].
    expect(summed.p50[1]).toBeGreaterThan(2.5);
    expect(summed.p50[1]).toBeLessThanOrEqual(5);
  });

  it('leaves percentiles null where no request was answered', () => {
    expect(sumHistories(10_000, [[interval(10_000, 10, [0, 0, 0, 0], bucketsOf())]]).p90).toEqual([null]);
  });
});

describe('checkNodeHistory', () => {
  const good = { end: 10_000, seconds: 10, requests: [1, 0, 0, 0], bytesIn: 1, bytesOut: 2, durationBuckets: bucketsOf([0.1, 1]) };

  it('takes a well-formed history of the same interval', () => {
    expect(checkNodeHistory({ intervalMs: 10_000, intervals: [good] }, 10_000)).toEqual([good]);
  });

  it('refuses anything else', () => {
    const bad: unknown[] = [
      null,
      [],
      { intervalMs: 5_000, intervals: [good] },
      { intervalMs: 10_000, intervals: 'x' },
      { intervalMs: 10_000, intervals: new Array(HISTORY_INTERVALS + 1).fill(good) },
      { intervalMs: 10_000, intervals: [{ ...good, requests: [1, 2] }] },
      { intervalMs: 10_000, intervals: [{ ...good, bytesIn: -1 }] },
      { intervalMs: 10_000, intervals: [{ ...good, seconds: 0 }] },
      { intervalMs: 10_000, intervals: [{ ...good, durationBuckets: [1] }] },
      { intervalMs: 10_000, intervals: [{ ...good, end: 'soon' }] },
    ];
    for (const answer of bad) expect(() => checkNodeHistory(answer, 10_000), JSON.stringify(answer)?.slice(0, 80)).toThrow();
  });
});
