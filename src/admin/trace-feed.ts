/**
 * A cluster's request trace as one feed of lines: this node's events, drained from its own
 * RequestTrace, and every other node's, polled through the `trace` query; each poll's events in
 * time order. A reader that stops pulling soon stops the polling, so the nodes' bounded buffers drop.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { payloadObject, type ClusterView } from './cluster-view.js';
import { MAX_FILTER_NAME_LENGTH, MAX_FILTER_NAMES, type RequestTrace, type TraceBatch, type TraceEvent, type TraceFilter } from './trace.js';

/** How often the nodes are polled for events. */
const POLL_MS = 250;

export type TraceLine =
  | ({ type: 'request' } & TraceEvent)
  /** Every node asked has its subscriber: requests from now on are traced. */
  | { type: 'subscribed'; nodes: string[] }
  | { type: 'dropped'; node: string; count: number }
  | { type: 'unreachable'; node: string; error: string };

interface TraceQuery {
  subscriber: string;
  filter: TraceFilter;
  /** The reader is done: drop the subscriber. */
  end?: boolean;
}

function strings(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.length > MAX_FILTER_NAMES || !value.every((v) => typeof v === 'string' && v.length <= MAX_FILTER_NAME_LENGTH)) throw new Error('invalid trace filter');
  return value as string[];
}

function optional<T>(value: unknown, type: 'string' | 'number' | 'boolean'): T | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== type) throw new Error('invalid trace filter');
  return value as T;
}

/** A trace query from another node, checked field by field. */
function checkTraceQuery(payload: unknown): TraceQuery {
  const q = payloadObject(payload, 'trace');
  const f = payloadObject(q.filter, 'trace');
  if (typeof q.subscriber !== 'string' || q.subscriber.length > 64) throw new Error('invalid trace subscriber');
  const filter: TraceFilter = {
    methods: strings(f.methods),
    apis: strings(f.apis),
    bucket: optional<string>(f.bucket, 'string'),
    prefix: optional<string>(f.prefix, 'string'),
    errorsOnly: optional<boolean>(f.errorsOnly, 'boolean'),
    minDurationMs: optional<number>(f.minDurationMs, 'number'),
  };
  return { subscriber: q.subscriber, filter, end: q.end === true };
}

/** Serves the `trace` query: drains (creating it on first use) the asking reader's subscriber here. */
export function traceQueryHandler(trace: RequestTrace) {
  return async (payload: unknown): Promise<TraceBatch> => {
    const query = checkTraceQuery(payload);
    if (query.end) {
      trace.unsubscribe(query.subscriber);
      return { events: [], dropped: 0 };
    }
    return trace.drain(query.subscriber, query.filter);
  };
}

/** Lines waiting for the reader beyond which the nodes are not polled again until it catches up. */
const BACKLOG_LINES = 2_000;

/**
 * The lines the nodes' pollers add, in the order they arrive, for one reader; the pollers wait for
 * room while the reader lags.
 */
class TraceLines {
  private readonly waiting: TraceLine[] = [];
  private readonly unreachable = new Map<string, string>();
  private wake?: () => void;

  constructor(private readonly signal: AbortSignal) {}

  /** Adds one poll's outcome for `node`: its events in time order and what it dropped, or why it did not answer. */
  add(node: string, outcome: TraceBatch | { error: string }): void {
    if ('error' in outcome) {
      if (this.unreachable.get(node) !== outcome.error) this.waiting.push({ type: 'unreachable', node, error: outcome.error });
      this.unreachable.set(node, outcome.error);
    } else {
      this.unreachable.delete(node);
      const events = [...outcome.events].sort((a, b) => a.time.localeCompare(b.time));
      for (const event of events) this.waiting.push({ type: 'request', ...event });
      if (outcome.dropped > 0) this.waiting.push({ type: 'dropped', node, count: outcome.dropped });
    }
    this.notify();
  }

  push(line: TraceLine): void {
    this.waiting.push(line);
    this.notify();
  }

  /** Resolves once the reader has taken enough lines to leave room for another poll (or the feed ends). */
  async room(): Promise<void> {
    while (this.waiting.length >= BACKLOG_LINES && !this.signal.aborted) await this.changed();
  }

  async *lines(): AsyncGenerator<TraceLine> {
    while (!this.signal.aborted) {
      const line = this.waiting.shift();
      if (line) {
        this.notify();
        yield line;
      } else await this.changed();
    }
  }

  private changed(): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        this.signal.removeEventListener('abort', done);
        resolve();
      };
      const previous = this.wake;
      this.wake = () => {
        previous?.();
        done();
      };
      this.signal.addEventListener('abort', done, { once: true });
    });
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

/**
 * The lines of the trace of `nodes` (default: all), until `signal` aborts. Every node is polled on
 * its own, so one that is slow to answer (paused, overloaded) delays only its own lines.
 */
export async function* clusterTrace(trace: RequestTrace, cluster: ClusterView, filter: TraceFilter, signal: AbortSignal, nodes?: ReadonlySet<string>): AsyncGenerator<TraceLine> {
  const subscriber = randomUUID();
  const query: TraceQuery = { subscriber, filter };
  const traced = cluster.nodes.filter((node) => nodes === undefined || nodes.has(node));
  const peers = traced.filter((node) => node !== cluster.self);
  const poll = async (node: string): Promise<TraceBatch | { error: string }> => {
    if (node === cluster.self) return trace.drain(subscriber, filter);
    const [answer] = await cluster.askPeers<TraceBatch>('trace', query, new Set([node]));
    if (!answer) return { error: 'not in this deployment' };
    return 'error' in answer ? { error: answer.error } : answer.answer;
  };
  const feed = new TraceLines(signal);
  const follow = async (node: string): Promise<void> => {
    while (!signal.aborted) {
      await sleep(POLL_MS, undefined, { signal }).catch(() => undefined);
      await feed.room();
      if (signal.aborted) return;
      feed.add(node, await poll(node));
    }
  };
  try {
    // The first round together: the line saying who is subscribed comes before any event.
    const first = await Promise.all(traced.map(async (node) => ({ node, outcome: await poll(node) })));
    feed.push({ type: 'subscribed', nodes: first.filter((f) => !('error' in f.outcome)).map((f) => f.node) });
    for (const { node, outcome } of first) feed.add(node, outcome);
    for (const node of traced) void follow(node);
    yield* feed.lines();
  } finally {
    trace.unsubscribe(subscriber);
    if (peers.length > 0) void cluster.askPeers('trace', { ...query, end: true }, new Set(peers));
  }
}
