/**
 * `GET /tessera/admin/v1/info`: the heal manager's view of nodes, drives, sets and healing, with each
 * node's version and uptime (asked of the other nodes through the `server` query).
 */
import type { HealManager } from '../heal/manager.js';
import { VERSION } from '../version.js';
import type { ClusterView } from './cluster-view.js';

export interface NodeFacts {
  version: string;
  uptimeSeconds: number;
}

function facts(): NodeFacts {
  return { version: VERSION, uptimeSeconds: Math.round(process.uptime()) };
}

/** Serves the `server` query. */
export async function serverQueryHandler(): Promise<NodeFacts> {
  return facts();
}

export async function serverInfo(manager: HealManager, cluster: ClusterView) {
  const [info, answers] = await Promise.all([manager.info(), cluster.askPeers<NodeFacts>('server', null)]);
  const byNode = new Map<string, Partial<NodeFacts> & { error?: string }>([[cluster.self, facts()]]);
  for (const a of answers) byNode.set(a.node, 'error' in a ? { error: a.error } : { version: a.answer.version, uptimeSeconds: a.answer.uptimeSeconds });
  return {
    ...info,
    ...facts(),
    nodes: info.nodes.map((n) => ({ ...n, ...byNode.get(n.name) })),
  };
}
