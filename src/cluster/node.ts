/**
 * This process as a member of the deployment: its local drives, a RemoteDrive and Peer for every
 * drive and node elsewhere, the lock service (in-process on a single node, distributed otherwise)
 * and the RPC server that lets the other nodes use this node's drives and locks.
 */
import type { Credentials } from '../iam/credentials.js';
import type { LockActivities } from '../lock/activity.js';
import { DistributedLocker, localLockNode } from '../lock/distributed-lock.js';
import { LockTable } from '../lock/lock-table.js';
import type { Locker } from '../lock/locker.js';
import { NamespaceLock } from '../lock/namespace-lock.js';
import type { Drive } from '../storage/drive.js';
import { LocalDrive } from '../storage/local-drive.js';
import { spaceReserveFromEnv } from '../storage/free-space.js';
import { RemoteDrive } from '../storage/remote-drive.js';
import type { ServerCerts } from './certs.js';
import type { Topology } from './endpoints.js';
import { Peer } from './peer.js';
import { rpcKey } from './rpc-auth.js';
import { RpcServer, remoteLockNode } from './rpc-server.js';
import { peerTransport } from './transport.js';

const NOTICE_TIMEOUT_MS = 15_000;

export interface ClusterNode {
  drives: Drive[];
  driveNodes: number[];
  local: Map<number, LocalDrive>;
  peers: Peer[];
  locks: Locker;
  /** The locks this node holds or waits for. */
  lockActivity: LockActivities;
  /** Serves this node's drives and locks to its peers; undefined on a single node, which serves no RPC at all. */
  rpc?: RpcServer;
  /** Delivers a notice (see RpcServer.onNotice) to every other node; resolves with those that could not be told. */
  tellPeers(topic: string, payload: unknown): Promise<string[]>;
  /** Asks the other nodes (`only`: those of them named) a query (see RpcServer.onQuery), in parallel. */
  askPeers<T>(topic: string, payload: unknown, only?: ReadonlySet<string>): Promise<PeerAnswer<T>[]>;
  close(): void;
}

/** One node's answer to a query, or why there is none. */
export type PeerAnswer<T> = { node: string; answer: T } | { node: string; error: string };

/** `certs`: the nodes serve https and verify each other's certificates with these CAs. */
export function createClusterNode(topology: Topology, root: Credentials, certs?: ServerCerts): ClusterNode {
  const key = rpcKey(root);
  const self = topology.nodes[topology.localNode];
  const peers = new Map<string, Peer>();
  for (const node of topology.nodes) if (node !== self) peers.set(node, new Peer(node, key, topology.fingerprint, peerTransport(certs)));

  const local = new Map<number, LocalDrive>();
  const reserve = spaceReserveFromEnv(process.env);
  const drives: Drive[] = topology.drives.map((d, index) => {
    if (d.node === self) {
      const drive = new LocalDrive(d.path, d.text, undefined, reserve);
      local.set(index, drive);
      return drive;
    }
    return new RemoteDrive(peers.get(d.node)!, index, d.text);
  });

  const table = new LockTable();
  const locks =
    topology.nodes.length === 1
      ? new NamespaceLock()
      : new DistributedLocker(
          topology.nodes.map((node) => (node === self ? localLockNode(table) : remoteLockNode(peers.get(node)!))),
          self,
        );
  // A node that restarted holds its locks no longer: drop its grants here rather than wait for them to
  // expire. One that only stopped answering may be paused and still count on them, so they expire.
  for (const peer of peers.values()) peer.restartListeners.push(() => table.dropOwner(peer.address));
  const rpc = peers.size > 0 ? new RpcServer({ key, fingerprint: topology.fingerprint, node: self, drives: local, locks: table }) : undefined;
  for (const peer of peers.values()) peer.start();

  return {
    drives,
    driveNodes: topology.drives.map((d) => topology.nodes.indexOf(d.node)),
    local,
    peers: [...peers.values()],
    locks,
    lockActivity: locks.activity,
    rpc,
    async tellPeers(topic, payload) {
      const told = await Promise.all(
        [...peers.values()].map((peer) =>
          // A notice is answered once the peer has acted on it (a reload): longer than a drive call may take.
          peer.call(`notice/${topic}`, payload, { timeoutMs: NOTICE_TIMEOUT_MS }).then(
            () => undefined,
            () => peer.address,
          ),
        ),
      );
      return told.filter((address): address is string => address !== undefined);
    },
    askPeers<T>(topic: string, payload: unknown, only?: ReadonlySet<string>) {
      const asked = [...peers.values()].filter((peer) => only === undefined || only.has(peer.address));
      return Promise.all(
        asked.map((peer) =>
          peer.call<T>(`query/${topic}`, payload).then(
            (answer): PeerAnswer<T> => ({ node: peer.address, answer }),
            (err: unknown): PeerAnswer<T> => ({ node: peer.address, error: (err as Error).message }),
          ),
        ),
      );
    },
    close() {
      rpc?.close();
      for (const peer of peers.values()) peer.close();
    },
  };
}
