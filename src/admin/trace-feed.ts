/**
 * A cluster's request trace as one feed of lines: this node's events, drained from its own
 * RequestTrace, and every other node's, polled through the `trace` query; each round's events in
 * time order. A reader that stops pulling stops the polling, so the nodes' bounded buffers drop.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { payloadObject, type ClusterView } from './cluster-view.js';
import type { RequestTrace, TraceBatch, TraceEvent, TraceFilter } from './trace.js';

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
  if (!Array.isArray(value) || value.length > 64 || !value.every((v) => typeof v === 'string' && v.length <= 64)) throw new Error('invalid trace filter');
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

/** The lines of the trace of `nodes` (default: all), until `signal` aborts. */
export async function* clusterTrace(trace: RequestTrace, cluster: ClusterView, filter: TraceFilter, signal: AbortSignal, nodes?: ReadonlySet<string>): AsyncGenerator<TraceLine> {
  const subscriber = randomUUID();
  const query: TraceQuery = { subscriber, filter };
  const local = nodes === undefined || nodes.has(cluster.self);
  const unreachable = new Map<string, string>();
  let subscribed = false;
  try {
    while (!signal.aborted) {
      const batches: { node: string; batch: TraceBatch }[] = local ? [{ node: cluster.self, batch: trace.drain(subscriber, filter) }] : [];
      for (const answer of await cluster.askPeers<TraceBatch>('trace', query, nodes)) {
        if ('error' in answer) {
          if (unreachable.get(answer.node) !== answer.error) yield { type: 'unreachable', node: answer.node, error: answer.error };
          unreachable.set(answer.node, answer.error);
        } else {
          unreachable.delete(answer.node);
          batches.push({ node: answer.node, batch: answer.answer });
        }
      }
      if (!subscribed) {
        subscribed = true;
        yield { type: 'subscribed', nodes: batches.map((b) => b.node) };
      }
      const events = batches.flatMap((b) => b.batch.events).sort((a, b) => a.time.localeCompare(b.time));
      for (const event of events) yield { type: 'request', ...event };
      for (const { node, batch } of batches) if (batch.dropped > 0) yield { type: 'dropped', node, count: batch.dropped };
      await sleep(POLL_MS, undefined, { signal }).catch(() => undefined);
    }
  } finally {
    trace.unsubscribe(subscriber);
    void cluster.askPeers('trace', { ...query, end: true }, nodes);
  }
}
