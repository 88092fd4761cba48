/**
 * The floor rate of a request body. There is no limit on a whole upload (it may take hours), but while
 * the server waits for the body, every `windowMs` of waiting must bring at least `minBytes` (or the end
 * of the body); a client slower than that is cut with 400 RequestTimeout, as S3 answers a stalled upload.
 * Time in which the server is the slow one (its reader is behind, so the buffers are full) does not count.
 *
 * Handlers read the watched stream, never the request itself: a failure of the body then ends the
 * watched stream, not the connection, so the client still gets the error answer.
 */
import type { IncomingMessage } from 'node:http';
import { Transform, finished, type Readable, type TransformCallback } from 'node:stream';
import type { Context } from 'koa';
import { askForBody } from '../cluster/listener.js';
import { S3Error } from '../errors.js';

export interface BodyFloor {
  windowMs: number;
  minBytes: number;
}

export const DEFAULT_BODY_FLOOR: BodyFloor = { windowMs: 20_000, minBytes: 16 * 1024 };

/** Where the S3 app keeps the floor for its handlers (`ctx.state`). */
export const BODY_FLOOR_STATE = 'bodyFloor';

class FloorRate extends Transform {
  private bytes = 0;
  private waited = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly source: IncomingMessage,
    private readonly floor: BodyFloor,
  ) {
    super();
    const tick = Math.min(1000, Math.max(20, floor.windowMs / 10));
    this.timer = setInterval(() => this.check(tick), tick);
    this.timer.unref();
    // The reader may not have started yet (or never will: the request failed first); an error it would
    // have seen must not become an unhandled 'error' event.
    this.on('error', () => undefined);
    finished(source, (err) => {
      if (err) this.destroy(err);
    });
    source.pipe(this);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes >= this.floor.minBytes) {
      this.bytes = 0;
      this.waited = 0;
    }
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    clearInterval(this.timer);
    callback();
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    clearInterval(this.timer);
    this.source.unpipe(this);
    callback(err);
  }

  private check(tick: number): void {
    // Every byte is in: whatever is left to read waits on the reader, not the client.
    if (this.source.complete) {
      clearInterval(this.timer);
      return;
    }
    const readerBehind = this.writableLength > 0 || this.readableLength >= this.readableHighWaterMark;
    if (readerBehind) return;
    this.waited += tick;
    if (this.waited >= this.floor.windowMs) this.destroy(new S3Error('RequestTimeout'));
  }
}

/** The body of `req`, held to `floor`. */
export function watchedBody(req: IncomingMessage, floor: BodyFloor): Readable {
  return new FloorRate(req, floor);
}

/** The body of the S3 request in `ctx`, held to the app's floor (which createS3App puts in ctx.state). */
export function requestBody(ctx: Context): Readable {
  askForBody(ctx.req, ctx.res);
  return watchedBody(ctx.req, ctx.state[BODY_FLOOR_STATE] as BodyFloor);
}
