/**
 * A trace reader that stops reading leaves up to SUBSCRIBER_BUFFER events waiting in its subscriber
 * (and more in the feed). Before, each event's path, bucket and key were slices of the request's
 * URL, which keep the whole URL (up to the 16 KiB a request line may carry) alive, and were as long as
 * any client made them: one stalled `tessera admin trace` and a burst of long URLs from anyone cost
 * a node some 30 KiB per event. Now an event carries at most MAX_TRACED_CHARS of each, of its own.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_TRACED_CHARS, RequestTrace, SUBSCRIBER_BUFFER, traceRequests } from '../../src/admin/trace.js';
import { parseTarget } from '../../src/s3/request.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  gc();
  return process.memoryUsage().heapUsed;
}

describe('a subscriber nobody drains', () => {
  const trace = new RequestTrace('n1:9000');
  let server: Server;
  let endpoint: string;

  beforeAll(async () => {
    const app = new Koa();
    app.use(traceRequests(trace));
    app.use((ctx) => {
      ctx.state.target = parseTarget(ctx.req.url ?? '/', ctx.get('host'));
      ctx.status = 404;
    });
    server = createServer(app.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  /** What `count` requests to `url(i)` leave held in the heap, with their events waiting in a subscriber nobody drains. */
  async function heldBy(url: (i: number) => string, count: number): Promise<number> {
    trace.drain('stalled', {});
    const before = heapAfterGc();
    for (let i = 0; i < count; i += 50) {
      await Promise.all(Array.from({ length: Math.min(50, count - i) }, (_, j) => fetch(`${endpoint}${url(i + j)}`).then((res) => res.arrayBuffer())));
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    return heapAfterGc() - before;
  }

  it('holds, per waiting event of a long URL, no more than its clipped path, bucket and key beyond what a short URL costs', async () => {
    await heldBy((i) => `/b/warm-up${i}`, 100); // connections set up before measuring
    const short = await heldBy((i) => `/b/k${i}`, SUBSCRIBER_BUFFER);
    // Half with a short key and a 14 KB query, half with a 7 KB bucket and a 7 KB key.
    const long = await heldBy((i) => (i % 2 === 0 ? `/b/k${i}?q=${'x'.repeat(14_000)}` : `/${'b'.repeat(7_000)}${i}/${'k'.repeat(7_000)}`), SUBSCRIBER_BUFFER);
    const { events, dropped } = trace.drain('stalled', {});
    expect(events).toHaveLength(SUBSCRIBER_BUFFER);
    expect(dropped).toBe(0);
    expect((long - short) / SUBSCRIBER_BUFFER).toBeLessThan(3 * MAX_TRACED_CHARS + 1024);
    const clipped = events.find((e) => e.key?.startsWith('kkk'))!;
    expect(clipped.bucket).toBe('b'.repeat(MAX_TRACED_CHARS));
    expect(clipped.key).toBe('k'.repeat(MAX_TRACED_CHARS));
    expect(clipped.path).toBe(`/${'b'.repeat(MAX_TRACED_CHARS - 1)}`);
    expect(events.find((e) => e.key === 'k0')!.path).toBe('/b/k0');
  });
});
