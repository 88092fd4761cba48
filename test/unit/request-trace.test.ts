/**
 * The trace publisher's bounds and filters, and the feed a single node streams: a subscriber holds
 * at most SUBSCRIBER_BUFFER events between drains and counts the rest as dropped; the feed says so.
 */
import { describe, expect, it } from 'vitest';
import { MAX_SUBSCRIBERS, RequestTrace, SUBSCRIBER_BUFFER, traceMatches, type TraceEvent } from '../../src/admin/trace.js';
import { clusterTrace, type TraceLine } from '../../src/admin/trace-feed.js';

function event(n: number, over: Partial<TraceEvent> = {}): TraceEvent {
  return {
    time: new Date(1_700_000_000_000 + n).toISOString(),
    node: 'n1:9000',
    requestId: `R${n}`,
    method: 'GET',
    api: 'GetObject',
    path: `/b/k${n}`,
    bucket: 'b',
    key: `k${n}`,
    status: 200,
    durationMs: 5,
    bytesIn: 0,
    bytesOut: 100,
    client: '127.0.0.1',
    ...over,
  };
}

describe('request trace', () => {
  it('is inactive without subscribers, and a subscriber sees only what its filter lets through', () => {
    const trace = new RequestTrace('n1:9000');
    expect(trace.active).toBe(false);
    trace.drain('s', { errorsOnly: true, bucket: 'b', prefix: 'x/' });
    expect(trace.active).toBe(true);
    trace.publish(event(1, { status: 404, key: 'x/1' }));
    trace.publish(event(2, { status: 200, key: 'x/2' }));
    trace.publish(event(3, { status: 500, key: 'y/3' }));
    trace.publish(event(4, { status: 503, key: 'x/4', bucket: 'other' }));
    expect(trace.drain('s', {}).events.map((e) => e.requestId)).toEqual(['R1']);
    trace.unsubscribe('s');
    expect(trace.active).toBe(false);
  });

  it('matches methods, API names and a minimum duration', () => {
    expect(traceMatches({ methods: ['PUT'] }, event(1))).toBe(false);
    expect(traceMatches({ methods: ['GET', 'PUT'] }, event(1))).toBe(true);
    expect(traceMatches({ apis: ['PutObject'] }, event(1))).toBe(false);
    expect(traceMatches({ apis: ['GetObject'] }, event(1, { api: undefined }))).toBe(false);
    expect(traceMatches({ minDurationMs: 6 }, event(1))).toBe(false);
    expect(traceMatches({ minDurationMs: 5 }, event(1))).toBe(true);
  });

  it('keeps at most SUBSCRIBER_BUFFER events between drains and counts the rest', () => {
    const trace = new RequestTrace('n1:9000');
    trace.drain('s', {});
    for (let n = 0; n < SUBSCRIBER_BUFFER + 250; n++) trace.publish(event(n));
    const batch = trace.drain('s', {});
    expect(batch.events).toHaveLength(SUBSCRIBER_BUFFER);
    expect(batch.events[0].requestId).toBe('R0');
    expect(batch.dropped).toBe(250);
    expect(trace.drain('s', {})).toEqual({ events: [], dropped: 0 });
  });

  it('follows at most MAX_SUBSCRIBERS traces at once; the ones running keep draining, and one that ends makes room', () => {
    const trace = new RequestTrace('n1:9000');
    for (let n = 0; n < MAX_SUBSCRIBERS; n++) trace.drain(`s${n}`, {});
    expect(trace.hasRoom).toBe(false);
    expect(() => trace.drain('one-more', {})).toThrow(/traces are running on this node already/);
    trace.publish(event(1));
    expect(trace.drain('s0', {}).events).toHaveLength(1);
    trace.unsubscribe('s0');
    expect(trace.hasRoom).toBe(true);
    expect(trace.drain('one-more', {})).toEqual({ events: [], dropped: 0 });
  });

  it("a single node's feed: subscribed, then the requests in time order, then how many were dropped; the subscriber goes with the reader", async () => {
    const trace = new RequestTrace('n1:9000');
    const stop = new AbortController();
    const feed = clusterTrace(trace, { self: 'n1:9000', nodes: ['n1:9000'], askPeers: async () => [] }, { methods: ['GET'] }, stop.signal);
    const lines: TraceLine[] = [];
    lines.push((await feed.next()).value as TraceLine);
    expect(lines[0]).toEqual({ type: 'subscribed', nodes: ['n1:9000'] });
    for (let n = SUBSCRIBER_BUFFER + 9; n >= 0; n--) trace.publish(event(n));
    trace.publish(event(0, { method: 'PUT' }));
    for (let i = 0; i < SUBSCRIBER_BUFFER + 1; i++) lines.push((await feed.next()).value as TraceLine);
    const requests = lines.filter((l) => l.type === 'request');
    expect(requests).toHaveLength(SUBSCRIBER_BUFFER);
    // published newest first: the first thousand (R1009 down to R10) fit, and come out in time order
    const ids = requests.map((r) => (r as TraceEvent).requestId);
    expect([ids[0], ids[1], ids.at(-1)]).toEqual(['R10', 'R11', 'R1009']);
    expect(lines.at(-1)).toEqual({ type: 'dropped', node: 'n1:9000', count: 10 });
    stop.abort();
    expect((await feed.next()).done).toBe(true);
    expect(trace.active).toBe(false);
  });

  it("a node that stops answering holds back only its own lines: the other nodes' requests keep coming", async () => {
    const trace = new RequestTrace('n1:9000');
    const stop = new AbortController();
    let polls = 0;
    const askPeers = async <T>(): Promise<{ node: string; answer: T }[]> => {
      // n2 answers the first poll, then hangs like a paused process.
      if (++polls > 1) await new Promise<never>(() => undefined);
      return [{ node: 'n2:9000', answer: { events: [], dropped: 0 } as T }];
    };
    const feed = clusterTrace(trace, { self: 'n1:9000', nodes: ['n1:9000', 'n2:9000'], askPeers }, {}, stop.signal);
    expect((await feed.next()).value).toEqual({ type: 'subscribed', nodes: ['n1:9000', 'n2:9000'] });
    for (let n = 1; n <= 3; n++) {
      trace.publish(event(n));
      expect(((await feed.next()).value as TraceEvent).requestId).toBe(`R${n}`);
    }
    expect(polls).toBeGreaterThan(1);
    stop.abort();
    expect((await feed.next()).done).toBe(true);
  });
});
