/**
 * Starting a Tessera server in this process: drives, cluster node, pool, IAM, the S3 app, healing,
 * lifecycle and the listener. Both `tessera server` (src/cli/server.ts) and embedding
 * (src/index.ts) start through here; what they differ in (where options come from, what is printed,
 * signals, exit) stays with them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { initCodec } from '../codec/reed-solomon.js';
import type { ServerCerts } from '../cluster/certs.js';
import { parseTopology, type Topology } from '../cluster/endpoints.js';
import { createListener, type Listener } from '../cluster/listener.js';
import { createClusterNode, type ClusterNode } from '../cluster/node.js';
import { adminRoutes } from '../admin/router.js';
import { consoleRoutes } from '../admin/console-assets.js';
import { ServerMetrics } from '../admin/metrics.js';
import { historyIntervalFromEnv, historyQueryHandler, MetricsHistory } from '../admin/metrics-history.js';
import { serverQueryHandler } from '../admin/server-info.js';
import { locksQueryHandler } from '../admin/top-locks.js';
import { RequestTrace, traceRequests } from '../admin/trace.js';
import { traceQueryHandler } from '../admin/trace-feed.js';
import { bootstrapPool, prepareLocalDrives, type PoolLayout } from '../erasure/bootstrap.js';
import type { ErasurePool } from '../erasure/pool.js';
import { ConfigurationError } from '../errors.js';
import type { HealConfig } from '../heal/config.js';
import { HealManager } from '../heal/manager.js';
import type { Credentials } from '../iam/credentials.js';
import { Iam } from '../iam/iam.js';
import type { RootCredentials } from '../iam/root.js';
import { LifecycleWorker, type LifecycleConfig } from '../lifecycle/worker.js';
import { createS3App } from '../s3/app.js';
import { answerClientError } from '../s3/client-error.js';
import { applyConnectionLimits, limitedHandler, LISTEN_BACKLOG, refuseBusy } from '../s3/connection-limits.js';
import type { RequestLimits } from '../s3/limits-config.js';

/** Multipart uploads left unfinished this long are aborted, as S3 lifecycle rules and MinIO do by default. */
const STALE_UPLOAD_AGE_MS = 24 * 3600_000;
const STALE_UPLOAD_SWEEP_MS = 3600_000;

const REDUCED_REDUNDANCY_PARITY = 1;

/** A failure the operator can fix; printed as one line, exit code 1. */
export class UsageError extends ConfigurationError {}

export interface StartOptions {
  /** Drive arguments as `tessera server` takes them (paths, or URLs of a cluster; {a...b} expands). */
  drives: string[];
  host: string;
  /** 0: any free port (see RunningServer.port). */
  port: number;
  root: RootCredentials;
  /** The root credentials before a change (see previousRootFromEnv). */
  previousRoot?: Credentials;
  parity?: number;
  region: string;
  domains: string[];
  corsOrigins: string[];
  certs?: ServerCerts;
  limits: RequestLimits;
  heal?: HealConfig;
  lifecycle: LifecycleConfig;
  log: (line: string) => void;
  logError: (line: string) => void;
  /** A bearer token that may read /tessera/metrics (besides SigV4 requests allowed admin:Prometheus). */
  metricsToken?: string;
}

export interface RunningServer {
  topology: Topology;
  node: ClusterNode;
  pool: ErasurePool;
  layout: PoolLayout;
  healing: HealManager;
  /** The port listened on (the one chosen, when asked for 0). */
  port: number;
  /**
   * Stops taking requests, lets those in flight finish for up to `graceMs` (then closes their
   * connections), stops the background workers and closes the drives.
   */
  close(graceMs: number): Promise<void>;
}

function listen(server: Listener, host: string, port: number): Promise<number> {
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
      resolve((server.address() as { port: number }).port);
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

export async function startServer(options: StartOptions): Promise<RunningServer> {
  const { host, limits, root, certs, log, logError } = options;
  const topology = parseTopology(options.drives, { host, port: options.port }, { tls: certs !== undefined });
  const historyIntervalMs = historyIntervalFromEnv();
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
  let port: number;
  try {
    await prepareLocalDrives(node.local);
    port = await listen(server, host, options.port);
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
      parity: options.parity,
      locks: node.locks,
      log,
    }));
  } catch (err) {
    server.close();
    node.close();
    throw err;
  }
  // Healing: MRF / heal-on-read queue, scanner, replaced-drive healer (knobs: src/heal/config.ts).
  // This node's name in the admin API's answers: host:port as the endpoints name it.
  const self = topology.nodes[topology.localNode] || `${host}:${port}`;
  const healing = new HealManager({
    sets: pool.sets,
    replaced: layout.replaced,
    parity: layout.parity,
    node: self,
    config: options.heal,
    log,
    // Each node scans its share of the sets; MRF and replaced drives stay with the node that saw them.
    shouldScan: (set) => set % topology.nodes.length === topology.localNode,
  });
  // Users, groups and policies: loaded now, kept current by notices from the node that changes them.
  const iam = new Iam({ objects: pool, locks: node.locks, root, previousRoot: options.previousRoot, tellPeers: (notice) => node.tellPeers('iam', notice), log: logError });
  node.rpc?.onNotice('iam', (notice) => iam.onNotice(notice));
  try {
    await iam.start();
    await healing.start();
  } catch (err) {
    // A process that goes on (an embedding one) must not keep the port or the drives.
    iam.stop();
    await healing.stop().catch(() => undefined);
    server.close();
    node.close();
    await pool.close().catch(() => undefined);
    throw err;
  }
  const metrics = new ServerMetrics(healing);
  metrics.watch(node.local.values(), node.peers);
  // The last hour of traffic the console charts (knob: TESSERA_METRICS_HISTORY_INTERVAL_MS, see metrics-history.ts).
  const history = new MetricsHistory(() => metrics.requestTotals(), historyIntervalMs);
  history.start();
  // What `tessera admin trace`, `admin top locks` and `admin info` ask every node.
  const trace = new RequestTrace(self);
  node.rpc?.onQuery('trace', traceQueryHandler(trace));
  node.rpc?.onQuery('locks', locksQueryHandler(node.lockActivity, self));
  node.rpc?.onQuery('server', serverQueryHandler);
  node.rpc?.onQuery('metrics-history', historyQueryHandler(history));
  const cluster = { self, nodes: topology.nodes.length > 1 ? topology.nodes : [self], askPeers: node.askPeers };
  const stopping = new AbortController();
  const app = createS3App({
    routes: [
      traceRequests(trace),
      adminRoutes({ manager: healing, iam, metrics, history, metricsToken: options.metricsToken, cluster, trace, locks: node.lockActivity, stopping: stopping.signal }),
      consoleRoutes({ region: options.region }),
    ],
    objects: pool,
    iam,
    region: options.region,
    // As in MinIO, REDUCED_REDUNDANCY keeps a single parity shard.
    reducedParity: REDUCED_REDUNDANCY_PARITY,
    domains: options.domains,
    corsOrigins: options.corsOrigins,
    bodyFloor: limits.bodyFloor,
  });

  // Lifecycle rules (knobs: src/lifecycle/worker.ts).
  pool.lifecycleDayMs = options.lifecycle.dayMs;
  const lifecycle = new LifecycleWorker(pool, node.locks, options.lifecycle, log);
  lifecycle.start();

  const sweep = setInterval(() => {
    pool.expireUploads(STALE_UPLOAD_AGE_MS).then(
      (n) => n > 0 && log(`tessera: aborted ${n} multipart upload(s) older than 24 h`),
      (err: unknown) => logError(`tessera: stale upload sweep failed: ${(err as Error).message}`),
    );
  }, STALE_UPLOAD_SWEEP_MS);
  sweep.unref();
  // Served from here on: a caller that prints the start-up banner right after this resolves prints it
  // before the first request is answered (only microtasks run in between).
  serveS3 = app.callback();

  let closing: Promise<void> | undefined;
  const close = async (graceMs: number): Promise<void> => {
    stopping.abort();
    clearInterval(sweep);
    history.stop();
    iam.stop();
    const workersStopped = Promise.all([healing.stop(), lifecycle.stop()]).catch(() => undefined);
    const force = setTimeout(() => {
      if (graceMs > 0) logError(`tessera: requests still running after ${graceMs / 1000} s, closing them`);
      server.closeAllConnections();
      node.rpc?.close(); // peers' sessions are not the listener's to close
    }, graceMs);
    force.unref();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    node.rpc?.drain();
    await closed;
    clearTimeout(force);
    await workersStopped;
    node.close();
    await pool.close();
  };
  return {
    topology,
    node,
    pool,
    layout,
    healing,
    port,
    close: (graceMs) => (closing ??= close(graceMs)),
  };
}
