/**
 * Each S3 request, once its response has ended (or the client has gone): one log line and the request
 * metrics. Bytes are counted on the connection (headers included): what it carried since the previous
 * request on it ended, as HTTP/1.1 serves one request at a time per connection.
 */
import type { Socket } from 'node:net';
import type { Context } from 'koa';
import { log } from '../log.js';
import type { RequestFacts } from '../s3/app.js';
import type { ServerMetrics } from './metrics.js';

const counted = new WeakMap<Socket, { read: number; written: number }>();

function bytesSinceLast(socket: Socket): { bytesIn: number; bytesOut: number } {
  const before = counted.get(socket) ?? { read: 0, written: 0 };
  const now = { read: socket.bytesRead, written: socket.bytesWritten };
  counted.set(socket, now);
  return { bytesIn: now.read - before.read, bytesOut: now.written - before.written };
}

/** Call as the request arrives; it logs and counts the request when its response closes. */
export function observeRequest(ctx: Context, metrics: ServerMetrics, leave: () => void): void {
  const started = process.hrtime.bigint();
  ctx.res.once('close', () => {
    leave();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const facts = ctx.state.facts as RequestFacts | undefined;
    const operation = facts?.operation ?? 'Unknown';
    const status = ctx.res.statusCode;
    const { bytesIn, bytesOut } = bytesSinceLast(ctx.req.socket);
    metrics.observeRequest({ operation, status, seconds, bytesIn, bytesOut });
    log.info('request', {
      reqId: facts?.requestId,
      method: ctx.method,
      api: operation,
      bucket: facts?.bucket,
      key: facts?.key,
      status,
      bytesIn,
      bytesOut,
      durationMs: Math.round(seconds * 1e6) / 1e3,
      accessKey: facts?.accessKey,
      remote: ctx.req.socket.remoteAddress,
      // A response the client did not wait for to the end.
      ...(ctx.res.writableFinished ? {} : { aborted: true }),
    });
  });
}
