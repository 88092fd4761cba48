/** `GET /tessera/admin/v1/top/locks`: the locks held or waited for longest, on every node. */
import type { LockActivities, LockActivity } from '../lock/activity.js';
import { payloadObject, type ClusterView } from './cluster-view.js';

export const MAX_TOP_LOCKS = 1000;

export interface NodeLock extends LockActivity {
  /** The node whose lock client holds or waits for the lock. */
  node: string;
  ageMs: number;
}

export interface TopLocks {
  locks: NodeLock[];
  /** Nodes that did not answer, and why. */
  unreachable: { node: string; error: string }[];
}

function checkCount(payload: unknown): number {
  const count = payloadObject(payload, 'locks').count;
  if (!Number.isInteger(count) || (count as number) < 0 || (count as number) > MAX_TOP_LOCKS) throw new Error('invalid locks query');
  return count as number;
}

/** A node's oldest locks with their ages by its own clock (the nodes' clocks may differ). */
function oldestOf(activity: LockActivities, count: number, node: string): NodeLock[] {
  const now = Date.now();
  return activity.oldest(count).map((l) => ({ ...l, node, ageMs: now - l.since }));
}

/** Serves the `locks` query: this node's `count` oldest locks. */
export function locksQueryHandler(activity: LockActivities, self: string) {
  return async (payload: unknown): Promise<NodeLock[]> => oldestOf(activity, checkCount(payload), self);
}

export async function topLocks(activity: LockActivities, cluster: ClusterView, count: number): Promise<TopLocks> {
  const answers = await cluster.askPeers<NodeLock[]>('locks', { count });
  const locks = oldestOf(activity, count, cluster.self);
  const unreachable: TopLocks['unreachable'] = [];
  for (const a of answers) {
    if ('error' in a) unreachable.push({ node: a.node, error: a.error });
    else locks.push(...a.answer);
  }
  return { locks: locks.sort((a, b) => b.ageMs - a.ageMs).slice(0, count), unreachable };
}
