/** An RpcServer on its own listener on a loopback port, named (as the endpoint list would) by its address. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Listener } from '../../src/cluster/listener.js';
import { RpcServer, type RpcServerOptions } from '../../src/cluster/rpc-server.js';
import { LockTable } from '../../src/lock/lock-table.js';

export interface RpcNode {
  /** host:port, the node's name. */
  address: string;
  rpc: RpcServer;
  listener: Listener;
  /** Ends the sessions, then closes the listener. */
  close(): Promise<void>;
}

/** `listener` (by default plain HTTP answering 404) listening on 127.0.0.1, serving node RPC with these options. */
export async function rpcNode(options: Omit<RpcServerOptions, 'node' | 'locks'> & { locks?: LockTable }, listener: Listener = createServer((_req, res) => res.writeHead(404).end())): Promise<RpcNode> {
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const address = `127.0.0.1:${(listener.address() as AddressInfo).port}`;
  const rpc = new RpcServer({ locks: new LockTable(), ...options, node: address });
  rpc.attach(listener);
  return {
    address,
    rpc,
    listener,
    close: async () => {
      rpc.close();
      await new Promise<void>((resolve) => listener.close(() => resolve()));
    },
  };
}
