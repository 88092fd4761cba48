/**
 * The cluster half of `npm run bench -- --cluster`: starts N local `tessera server` nodes × M drives
 * on loopback ports (every node given the same endpoint list and its own --address, as an operator
 * would), and a client that spreads requests round-robin over the nodes. bench/run.ts runs the same
 * workloads against it as against the single node and prints each figure as a ratio of the single
 * node's. (Independent of test/, like bench/server.ts.)
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { RequestError, S3Http, type RequestOptions, type S3Response } from './load.js';
import { BenchServer, freePort } from './server.js';
import type { SigV4Signer } from './sigv4.js';

export class BenchCluster {
  private constructor(
    readonly nodes: BenchServer[],
    readonly drivesPerNode: number,
  ) {}

  /** Starts every node at once (a node is only ready once a quorum of the others answers) and waits for all. */
  static async start(dir: string, nodeCount: number, drivesPerNode: number, accessKey: string, secretKey: string, timeoutMs = 60_000): Promise<BenchCluster> {
    const ports = new Set<number>();
    while (ports.size < nodeCount) ports.add(await freePort());
    const nodeDirs = [...ports].map((_, i) => join(dir, `n${i + 1}`));
    for (const d of nodeDirs) for (let j = 0; j < drivesPerNode; j++) await mkdir(join(d, `d${j + 1}`), { recursive: true });
    // Every drive explicitly: several {...} arguments would be several server pools.
    const endpointArgs = [...ports].flatMap((port, i) => Array.from({ length: drivesPerNode }, (_, d) => `http://127.0.0.1:${port}${nodeDirs[i]}/d${d + 1}`));
    const nodes = [...ports].map((port) => BenchServer.spawn(port, endpointArgs, accessKey, secretKey));
    const cluster = new BenchCluster(nodes, drivesPerNode);
    try {
      await Promise.all(nodes.map((n) => n.waitReady(timeoutMs)));
    } catch (err) {
      cluster.killNow();
      throw err;
    }
    return cluster;
  }

  get endpoints(): string[] {
    return this.nodes.map((n) => n.endpoint);
  }

  /** "1 erasure set(s) of 16 drives, EC 8+8 (...)" as the first node reported it. */
  get layout(): string | undefined {
    return this.nodes[0]?.layout;
  }

  /** Lines that look like trouble, from every node, prefixed with the node. */
  get noteworthy(): string[] {
    return this.nodes.flatMap((n, i) => n.noteworthy.map((line) => `[node ${i + 1}] ${line}`));
  }

  /** Throws if any node has exited. */
  check(): void {
    const dead = this.nodes.findIndex((n) => !n.running);
    if (dead >= 0) {
      const n = this.nodes[dead];
      throw new Error(`cluster node ${dead + 1} exited during the benchmark (${n.proc.exitCode ?? n.proc.signalCode}):\n${n.output}`);
    }
  }

  async stop(graceMs = 10_000): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop(graceMs).catch(() => n.killNow())));
  }

  /** For signal handlers and exit hooks: SIGKILL every node at once, synchronously. */
  killNow(): void {
    for (const n of this.nodes) n.killNow();
  }
}

/**
 * S3Http over several endpoints: each request goes to the next node in turn.
 *
 * A request that fails at the transport level with a connection reset (no HTTP answer at all) is sent
 * once more, to the next node, and counted in `retries`: with hundreds of keep-alive sockets spread over
 * four servers, a request now and then lands on an idle socket at the moment its server's keep-alive
 * timeout (5 s) closes it. Real S3 clients retry exactly this; the count is printed with the figures.
 */
export class RoundRobinHttp {
  private readonly clients: S3Http[];
  private next = 0;
  retries = 0;

  constructor(endpoints: string[], signer: SigV4Signer, maxSocketsPerNode: number) {
    this.clients = endpoints.map((e) => new S3Http(e, signer, maxSocketsPerNode));
  }

  private pick(): S3Http {
    const client = this.clients[this.next];
    this.next = (this.next + 1) % this.clients.length;
    return client;
  }

  async request(method: string, path: string, options: RequestOptions = {}): Promise<S3Response> {
    try {
      return await this.pick().request(method, path, options);
    } catch (err) {
      if (!(err instanceof RequestError) || err.status !== undefined || !/ECONNRESET|EPIPE|socket hang up/.test(err.message)) throw err;
      this.retries++;
      return this.pick().request(method, path, options);
    }
  }

  close(): void {
    for (const c of this.clients) c.close();
  }
}
