/** What the admin API needs of the cluster: who is in it, and how to ask the other nodes a query. */
import type { ClusterNode } from '../cluster/node.js';

export interface ClusterView {
  /** This node's name (host:port), as the other nodes know it. */
  self: string;
  /** Every node's name, this one included. */
  nodes: string[];
  askPeers: ClusterNode['askPeers'];
}

/** A payload from another node: an object, or a refusal. */
export function payloadObject(payload: unknown, what: string): Record<string, unknown> {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) throw new Error(`invalid ${what} query`);
  return payload as Record<string, unknown>;
}
