/**
 * The admin API checks a trace's filter and a top-locks count, then asks every other node with them
 * (queries `trace` and `locks`). What it accepted, the other nodes must accept too: before, a count of
 * 0 or a filter naming more than 64 APIs (or a method of over 64 characters) was taken here and refused
 * by the peers, so the answer called every peer unreachable and the trace followed this node alone.
 * Now the peers take a count of 0, and a filter they would refuse is a 400 here.
 */
import { expect } from 'vitest';
import { AdminApiError, type AdminClient, type TraceOptions } from '../../src/admin/client.js';
import type { TraceLine } from '../../src/admin/trace-feed.js';
import { clusterSuite } from '../helpers/cluster.js';

let admin: AdminClient;
const { step } = clusterSuite({ nodes: 2, drivesPerNode: 2 }, async (cluster) => {
  admin = cluster.node(0).admin();
});

/** The trace's first lines (up to its `subscribed` line and what came with it), or the error that refused it. */
async function traceStart(filter: TraceOptions): Promise<TraceLine[] | AdminApiError> {
  const stop = new AbortController();
  const lines: TraceLine[] = [];
  try {
    const timer = setTimeout(() => stop.abort(), 1_500);
    for await (const line of admin.trace(filter, stop.signal)) lines.push(line);
    clearTimeout(timer);
  } catch (err) {
    if (err instanceof AdminApiError) return err;
    if (!stop.signal.aborted) throw err;
  }
  return lines;
}

step('top locks with count 0: every node answers', async () => {
  const top = await admin.topLocks(0);
  expect(top).toEqual({ locks: [], unreachable: [] });
});

step('a trace filter naming 65 APIs is refused with a 400, not followed on this node alone', async () => {
  const outcome = await traceStart({ apis: Array.from({ length: 65 }, (_, i) => `Api${i}`) });
  expect(outcome).toBeInstanceOf(AdminApiError);
  expect(outcome).toMatchObject({ status: 400, code: 'InvalidArgument' });
});

step('a trace filter with a 65-character method is refused with a 400', async () => {
  const outcome = await traceStart({ methods: ['X'.repeat(65)] });
  expect(outcome).toMatchObject({ status: 400, code: 'InvalidArgument' });
});

step('a filter within the bounds is followed on every node', async () => {
  const outcome = await traceStart({ apis: Array.from({ length: 64 }, (_, i) => `Api${i}`), methods: ['X'.repeat(64)] });
  expect(Array.isArray(outcome)).toBe(true);
  const lines = outcome as TraceLine[];
  const subscribed = lines.find((l): l is Extract<TraceLine, { type: 'subscribed' }> => l.type === 'subscribed');
  expect(subscribed?.nodes).toHaveLength(2);
  expect(lines.filter((l) => l.type === 'unreachable')).toEqual([]);
});
