/**
 * Live request tracing (`tessera admin trace`): every node publishes one event per finished request
 * to its subscribers, if it has any (with none, a request costs one property read). A subscriber is a
 * bounded buffer that a reader drains: the admin API's trace stream drains this node's own and polls
 * the other nodes' (query `trace`) for theirs. A reader that falls behind loses events, never memory:
 * a full buffer counts what it dropped, and the stream says how many.
 */
import type { Context, Next } from 'koa';
import type { RequestFacts } from '../s3/app.js';
import type { S3Target } from '../s3/request.js';

export interface TraceEvent {
  /** When the request arrived (ISO 8601). */
  time: string;
  node: string;
  requestId: string;
  method: string;
  /** The S3 API called (GetObject, PutObject, ...), when the request named one. */
  api?: string;
  /** The request's path, without its query (which may carry a presigned signature); at most MAX_TRACED_CHARS, as bucket and key. */
  path: string;
  bucket?: string;
  key?: string;
  status: number;
  durationMs: number;
  /** The request body's declared length (Content-Length), 0 without one. */
  bytesIn: number;
  /** Bytes written to the connection for the response, headers included. */
  bytesOut: number;
  client: string;
}

export interface TraceFilter {
  /** HTTP methods (GET, PUT, ...); any when empty. */
  methods?: string[];
  /** S3 API names (GetObject, ...); any when empty. */
  apis?: string[];
  bucket?: string;
  /** A key prefix within `bucket`. */
  prefix?: string;
  /** Only answers with status 400 or above. */
  errorsOnly?: boolean;
  minDurationMs?: number;
}

/** The most methods or APIs a filter may name, and the longest name: every node refuses more. */
export const MAX_FILTER_NAMES = 64;
export const MAX_FILTER_NAME_LENGTH = 64;

/** Events one subscriber may have waiting; more are dropped (and counted). */
export const SUBSCRIBER_BUFFER = 1000;
/** Traces one node follows at once: each may hold SUBSCRIBER_BUFFER events for a reader that stalls. */
export const MAX_SUBSCRIBERS = 32;
/** A subscriber nobody drained for this long belongs to a reader that went away. */
const ABANDONED_MS = 30_000;

export function traceMatches(filter: TraceFilter, e: TraceEvent): boolean {
  if (filter.methods?.length && !filter.methods.includes(e.method)) return false;
  if (filter.apis?.length && (e.api === undefined || !filter.apis.includes(e.api))) return false;
  if (filter.bucket !== undefined && e.bucket !== filter.bucket) return false;
  if (filter.prefix && !(e.key ?? '').startsWith(filter.prefix)) return false;
  if (filter.errorsOnly && e.status < 400) return false;
  if (filter.minDurationMs !== undefined && e.durationMs < filter.minDurationMs) return false;
  return true;
}

/** What a drain hands over: the events waiting, and how many did not fit since the last drain. */
export interface TraceBatch {
  events: TraceEvent[];
  dropped: number;
}

class Subscriber {
  private events: TraceEvent[] = [];
  private dropped = 0;
  lastDrained = Date.now();

  constructor(readonly filter: TraceFilter) {}

  offer(event: TraceEvent): void {
    if (!traceMatches(this.filter, event)) return;
    if (this.events.length >= SUBSCRIBER_BUFFER) this.dropped++;
    else this.events.push(event);
  }

  drain(): TraceBatch {
    const batch = { events: this.events, dropped: this.dropped };
    this.events = [];
    this.dropped = 0;
    this.lastDrained = Date.now();
    return batch;
  }
}

export class RequestTrace {
  private readonly subscribers = new Map<string, Subscriber>();

  constructor(readonly node: string) {}

  get active(): boolean {
    return this.subscribers.size > 0;
  }

  publish(event: TraceEvent): void {
    const now = Date.now();
    for (const [id, subscriber] of this.subscribers) {
      if (now - subscriber.lastDrained > ABANDONED_MS) this.subscribers.delete(id);
      else subscriber.offer(event);
    }
  }

  /** Whether another trace may start here (see MAX_SUBSCRIBERS). */
  get hasRoom(): boolean {
    return this.subscribers.size < MAX_SUBSCRIBERS;
  }

  /**
   * Drains subscriber `id`, subscribing it with `filter` first if it is new (or was dropped as
   * abandoned); a new one is refused while MAX_SUBSCRIBERS are subscribed.
   */
  drain(id: string, filter: TraceFilter): TraceBatch {
    let subscriber = this.subscribers.get(id);
    if (!subscriber) {
      if (!this.hasRoom) throw new Error(`${MAX_SUBSCRIBERS} traces are running on this node already`);
      subscriber = new Subscriber(filter);
      this.subscribers.set(id, subscriber);
    }
    return subscriber.drain();
  }

  unsubscribe(id: string): void {
    this.subscribers.delete(id);
  }
}

/** The most of a path, bucket or key an event carries (a valid key is at most 1024 bytes). */
export const MAX_TRACED_CHARS = 1024;

/**
 * The start of `text`, as a string of its own: events wait in buffers for slow readers, and a slice
 * of the request's URL would keep all of it alive, as long as any client cared to make it.
 */
function traced(text: string): string {
  return Buffer.from(text.slice(0, MAX_TRACED_CHARS)).toString();
}

/** Koa middleware (before S3 routing): publishes each request to `trace` when it has subscribers. */
export function traceRequests(trace: RequestTrace) {
  return async (ctx: Context, next: Next): Promise<void> => {
    if (trace.active) {
      const started = Date.now();
      const socket = ctx.req.socket;
      const writtenBefore = socket.bytesWritten;
      ctx.res.once('close', () => {
        if (!trace.active) return;
        const target = ctx.state.target as S3Target | undefined;
        const api = (ctx.state.facts as RequestFacts | undefined)?.operation;
        trace.publish({
          time: new Date(started).toISOString(),
          node: trace.node,
          requestId: String(ctx.res.getHeader('x-amz-request-id') ?? ''),
          method: ctx.method,
          ...(api !== undefined ? { api } : {}),
          path: traced((ctx.req.url ?? '/').split('?')[0]),
          ...(target?.bucket !== undefined ? { bucket: traced(target.bucket) } : {}),
          ...(target?.key !== undefined ? { key: traced(target.key) } : {}),
          status: ctx.res.statusCode,
          durationMs: Date.now() - started,
          bytesIn: Number(ctx.req.headers['content-length'] ?? 0) || 0,
          bytesOut: socket.bytesWritten - writtenBefore,
          client: socket.remoteAddress ?? '',
        });
      });
    }
    await next();
  };
}
