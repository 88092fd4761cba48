/** `tessera server`: bring the drives up, serve S3, and shut down cleanly on SIGTERM/SIGINT. */
import { LifecycleWorker, lifecycleConfigFromEnv } from '../lifecycle/worker.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { initCodec } from '../codec/reed-solomon.js';
import { readCertsDir } from '../cluster/certs.js';
import { parseTopology } from '../cluster/endpoints.js';
import { createListener, type Listener } from '../cluster/listener.js';
import { createClusterNode } from '../cluster/node.js';
import type { ErasurePool } from '../erasure/pool.js';
import { bootstrapPool, prepareLocalDrives, type PoolLayout } from '../erasure/bootstrap.js';
import { Iam } from '../iam/iam.js';
import { describeRootSource, previousRootFromEnv, rootCredentialsFromEnv, type RootCredentials } from '../iam/root.js';
import { createS3App } from '../s3/app.js';
import { answerClientError } from '../s3/client-error.js';
import { applyConnectionLimits, limitedHandler, LISTEN_BACKLOG, refuseBusy } from '../s3/connection-limits.js';
import { requestLimitsFromEnv } from '../s3/limits-config.js';
import { adminRoutes } from '../admin/router.js';
import { serverQueryHandler } from '../admin/server-info.js';
import { locksQueryHandler } from '../admin/top-locks.js';
import { RequestTrace, traceRequests } from '../admin/trace.js';
import { traceQueryHandler } from '../admin/trace-feed.js';
import { HealManager } from '../heal/manager.js';
import { ConfigurationError } from '../errors.js';
import { defaultCredentialsWarning, refuseDefaultCredentials } from './default-credentials.js';

export interface ServerOptions {
  address: string;
  parity?: string;
  region: string;
  domain: string[];
  corsAllowOrigin: string[];
  allowDefaultCredentials?: boolean;
  certsDir?: string;
  maxConnections?: string;
}

/** Multipart uploads left unfinished this long are aborted, as S3 lifecycle rules and MinIO do by default. */
const STALE_UPLOAD_AGE_MS = 24 * 3600_000;
const STALE_UPLOAD_SWEEP_MS = 3600_000;

const REDUCED_REDUNDANCY_PARITY = 1;

/** A failure the operator can fix; printed as one line, exit code 1. */
export class UsageError extends ConfigurationError {}

export function parseAddress(address: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(address);
  const port = match ? Number(match[3]) : NaN;
  if (!match || port < 0 || port > 65535) throw new UsageError(`invalid --address ${address}: expected HOST:PORT, e.g. 127.0.0.1:9000`);
  return { host: match[1] ?? (match[2] || '0.0.0.0'), port };
}

function parseParity(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const text = value.toUpperCase().startsWith('EC:') ? value.slice(3) : value;
  if (!/^\d+$/.test(text)) throw new UsageError(`invalid --parity ${value}: expected a number of parity shards, e.g. 2 or EC:2`);
  return Number(text);
}

function parseMaxConnections(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`invalid --max-connections ${value}: expected a number of connections, e.g. 4096`);
  return Number(value);
}

function describeLayout(layout: PoolLayout, endpoint: string, root: RootCredentials): string {
  const data = layout.setSize - layout.parity;
  const writeQuorum = data === layout.parity ? data + 1 : data;
  const lines = [
    `Tessera S3 endpoint: ${endpoint}`,
    `  RootUser: ${root.accessKey}`,
    `  Credentials: ${describeRootSource(root)}`,
    `  Deployment: ${layout.deploymentId}`,
    `  Layout: ${layout.setCount} erasure set(s) of ${layout.setSize} drives, EC ${data}+${layout.parity} ` +
      `(reads need ${data} drives of a set, writes ${writeQuorum})`,
    ...layout.sets.map((s, i) => `  Set ${i + 1}: ${s.join(' ')}`),
  ];
  if (layout.replaced.length > 0) lines.push(`  Fresh drives given their slot back (they will be healed): ${layout.replaced.join(' ')}`);
  return lines.join('\n');
}

function listen(server: Listener, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(
        err.code === 'EADDRINUSE'
          ? new UsageError(`address ${host}:${port} is already in use`)
          : err.code === 'EADDRNOTAVAIL'
            ? new UsageError(`address ${host}:${port} is not available on this machine`)
            : new UsageError(`cannot listen on ${host}:${port}: ${err.message}`),
      );
    };
    server.once('error', onError);
    server.listen({ port, host, backlog: LISTEN_BACKLOG }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** Until the pool is up, S3 requests get a 503 and readiness says no; liveness and node RPC already work. */
function notReady(req: IncomingMessage, res: ServerResponse): void {
  if (req.url === '/tessera/health/live') {
    res.writeHead(200).end();
    return;
  }
  refuseBusy(res, 'Server is starting: waiting for the other nodes and drives.');
}

export async function runServer(driveArgs: string[], options: ServerOptions): Promise<void> {
  const address = parseAddress(options.address);
  const { host, port } = address;
  const parity = parseParity(options.parity);
  const limits = requestLimitsFromEnv(parseMaxConnections(options.maxConnections));
  const root = rootCredentialsFromEnv();
  const refusal = root.isDefault ? refuseDefaultCredentials({ host, port, allowDefault: options.allowDefaultCredentials === true, env: process.env }) : undefined;
  if (refusal) throw new UsageError(refusal);
  const certs = options.certsDir === undefined ? undefined : await readCertsDir(options.certsDir);
  const topology = parseTopology(driveArgs, address, { tls: certs !== undefined });
  await initCodec();

  const node = createClusterNode(topology, root, certs);
  let serveS3: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const server = createListener(
    certs,
    limitedHandler((req, res) => (serveS3 ?? notReady)(req, res), limits.connections),
  );
  node.rpc?.attach(server);
  applyConnectionLimits(server, limits.connections);
  server.on('clientError', answerClientError);
  try {
    await prepareLocalDrives(node.local);
    await listen(server, host, port);
  } catch (err) {
    node.close();
    throw err;
  }

  let pool: ErasurePool;
  let layout: PoolLayout;
  try {
    ({ pool, layout } = await bootstrapPool({
      drives: node.drives,
      driveNodes: node.driveNodes,
      local: node.local,
      formatsFreshPool: topology.localNode === 0,
      parity,
      locks: node.locks,
      log: (line) => console.log(line),
    }));
  } catch (err) {
    server.close();
    node.close();
    throw err;
  }
  // This node's name in the admin API's answers: host:port as the endpoints name it.
  const self = topology.nodes[topology.localNode] || `${host}:${port}`;
  // Healing: MRF / heal-on-read queue, scanner, replaced-drive healer (knobs: src/heal/config.ts).
  const healing = new HealManager({
    sets: pool.sets,
    replaced: layout.replaced,
    parity: layout.parity,
    node: self,
    // Each node scans its share of the sets; MRF and replaced drives stay with the node that saw them.
    shouldScan: (set) => set % topology.nodes.length === topology.localNode,
  });
  // Users, groups and policies: loaded now, kept current by notices from the node that changes them.
  const iam = new Iam({ objects: pool, locks: node.locks, root, previousRoot: previousRootFromEnv(root), tellPeers: (notice) => node.tellPeers('iam', notice), log: (line) => console.error(line) });
  node.rpc?.onNotice('iam', (notice) => iam.onNotice(notice));
  await iam.start();
  // What `tessera admin trace`, `admin top locks` and `admin info` ask every node.
  const trace = new RequestTrace(self);
  node.rpc?.onQuery('trace', traceQueryHandler(trace));
  node.rpc?.onQuery('locks', locksQueryHandler(node.lockActivity, self));
  node.rpc?.onQuery('server', serverQueryHandler);
  const cluster = { self, nodes: topology.nodes.length > 1 ? topology.nodes : [self], askPeers: node.askPeers };
  const app = createS3App({
    routes: [traceRequests(trace), adminRoutes({ manager: healing, iam, cluster, trace, locks: node.lockActivity })],
    objects: pool,
    iam,
    region: options.region,
    // As in MinIO, REDUCED_REDUNDANCY keeps a single parity shard.
    reducedParity: REDUCED_REDUNDANCY_PARITY,
    domains: options.domain.map((d) => d.toLowerCase()),
    corsOrigins: options.corsAllowOrigin,
    bodyFloor: limits.bodyFloor,
  });
  serveS3 = app.callback();

  const shown = host.includes(':') ? `[${host}]` : host;
  console.log(describeLayout(layout, `${certs ? 'https' : 'http'}://${shown === '0.0.0.0' ? '127.0.0.1' : shown}:${port}`, root));
  if (topology.nodes.length > 1) console.log(`  Nodes: ${topology.nodes.join(' ')} (this is ${topology.nodes[topology.localNode]})`);
  if (root.isDefault) console.error(defaultCredentialsWarning(`${shown}:${port}`));
  await healing.start();
  // Lifecycle rules (knobs: src/lifecycle/worker.ts).
  const lifecycleConfig = lifecycleConfigFromEnv();
  pool.lifecycleDayMs = lifecycleConfig.dayMs;
  const lifecycle = new LifecycleWorker(pool, node.locks, lifecycleConfig, (line) => console.log(line));
  lifecycle.start();

  const sweep = setInterval(() => {
    pool.expireUploads(STALE_UPLOAD_AGE_MS).then(
      (n) => n > 0 && console.log(`tessera: aborted ${n} multipart upload(s) older than 24 h`),
      (err: unknown) => console.error(`tessera: stale upload sweep failed: ${(err as Error).message}`),
    );
  }, STALE_UPLOAD_SWEEP_MS);
  sweep.unref();

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    clearInterval(sweep);
    iam.stop();
    const healingStopped = Promise.all([healing.stop(), lifecycle.stop()]).catch(() => undefined);
    console.log(`tessera: ${signal} received, finishing in-flight requests`);
    const force = setTimeout(() => {
      console.error('tessera: requests still running after 30 s, closing them');
      server.closeAllConnections();
      node.rpc?.close(); // peers' sessions are not the listener's to close
    }, 30_000);
    force.unref();
    server.close(async () => {
      await healingStopped;
      node.close();
      await pool.close();
      console.log('tessera: stopped');
      process.exit(0);
    });
    server.closeIdleConnections();
    node.rpc?.drain();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
