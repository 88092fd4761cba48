import type { IncomingMessage } from 'node:http';
import { PassThrough, type Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { watchedBody } from '../../src/s3/body-watchdog.js';

const FLOOR = { windowMs: 200, minBytes: 100 };

/** A request stand-in: a stream with IncomingMessage's `complete` flag. */
function fakeRequest(): PassThrough & { complete: boolean } {
  return Object.assign(new PassThrough(), { complete: false });
}

function finish(req: PassThrough & { complete: boolean }, last?: Buffer): void {
  req.complete = true;
  req.end(last);
}

async function drain(body: Readable): Promise<number> {
  let size = 0;
  for await (const chunk of body) size += (chunk as Buffer).length;
  return size;
}

describe('body floor rate', () => {
  it('cuts a body that stalls with RequestTimeout, leaving the request itself open', async () => {
    const req = fakeRequest();
    const body = watchedBody(req as unknown as IncomingMessage, FLOOR);
    const started = Date.now();
    req.write(Buffer.alloc(10));
    await expect(drain(body)).rejects.toMatchObject({ code: 'RequestTimeout', status: 400 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(FLOOR.windowMs - 20);
    expect(Date.now() - started).toBeLessThan(FLOOR.windowMs * 3);
    expect(req.destroyed).toBe(false);
  });

  it('cuts a trickle below the floor even though bytes keep coming', async () => {
    const req = fakeRequest();
    const body = watchedBody(req as unknown as IncomingMessage, FLOOR);
    const trickle = setInterval(() => req.write(Buffer.alloc(10)), 50);
    try {
      await expect(drain(body)).rejects.toMatchObject({ code: 'RequestTimeout' });
    } finally {
      clearInterval(trickle);
    }
  });

  it('lets a slow body through that keeps above the floor', async () => {
    const req = fakeRequest();
    const body = watchedBody(req as unknown as IncomingMessage, FLOOR);
    const read = drain(body);
    for (let i = 0; i < 8; i++) {
      req.write(Buffer.alloc(FLOOR.minBytes));
      await sleep(FLOOR.windowMs / 2);
    }
    finish(req);
    expect(await read).toBe(8 * FLOOR.minBytes);
  });

  it('does not count time in which the reader is behind', async () => {
    const req = fakeRequest();
    const body = watchedBody(req as unknown as IncomingMessage, FLOOR);
    // more than every buffer holds, then nothing from the client while nobody reads
    req.write(Buffer.alloc(256 * 1024));
    await sleep(FLOOR.windowMs * 4);
    const read = drain(body);
    finish(req);
    expect(await read).toBe(256 * 1024);
  });

  it('passes the request error on to the reader', async () => {
    const req = fakeRequest();
    const body = watchedBody(req as unknown as IncomingMessage, { windowMs: 10_000, minBytes: 1 });
    const read = drain(body);
    req.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
    await expect(read).rejects.toMatchObject({ code: 'ECONNRESET' });
  });
});
