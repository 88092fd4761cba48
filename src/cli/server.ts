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
import { HealManager } from '../heal/manager.js';
import { ConfigurationError } from '../errors.js';
import { defaultCredentialsWarning, refuseDefaultCredentials } from './default-credentials.js';
import { configureLog, log, type LogFormat } from '../log.js';
import { ServerMetrics } from '../admin/metrics.js';

export interface ServerOptions {
  address: string;
  parity?: string;
  region: string;
  domain: string[];
  corsAllowOrigin: string[];
  allowDefaultCredentials?: boolean;
  certsDir?: string;
  maxConnections?: string;
  logFormat?: string;
  logLevel?: string;
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

interface Banner {
  endpoint: string;
  layout: PoolLayout;
  root: RootCredentials;
  /** Every node's address and this node's, in a cluster. */
  nodes?: { all: string[]; self: string };
}

/**
 * What the server says once it serves: human lines on a terminal (pretty), one log line with the same
 * facts as fields otherwise (json), so a log collector need not parse prose.
 */
function announce(format: LogFormat, { endpoint, layout, root, nodes }: Banner): void {
  const data = layout.setSize - layout.parity;
  const writeQuorum = data === layout.parity ? data + 1 : data;
  const shape = `${layout.setCount} erasure set(s) of ${layout.setSize} drives, EC ${data}+${layout.parity} (reads need ${data} drives of a set, writes ${writeQuorum})`;
  if (format === 'json') {
    log.info('Tessera S3 endpoint ready', {
      endpoint,
      rootUser: root.accessKey,
      credentials: describeRootSource(root),
      deployment: layout.deploymentId,
      layout: shape,
      sets: layout.sets,
      ...(layout.replaced.length > 0 ? { replacedDrives: layout.replaced, note: 'Fresh drives given their slot back (they will be healed)' } : {}),
      ...(nodes ? { nodes: nodes.all, thisNode: nodes.self } : {}),
    });
    return;
  }
  const lines = [
    `Tessera S3 endpoint: ${endpoint}`,
    `  RootUser: ${root.accessKey}`,
    `  Credentials: ${describeRootSource(root)}`,
    `  Deployment: ${layout.deploymentId}`,
    `  Layout: ${shape}`,
    ...layout.sets.map((s, i) => `  Set ${i + 1}: ${s.join(' ')}`),
  ];
  if (layout.replaced.length > 0) lines.push(`  Fresh drives given their slot back (they will be healed): ${layout.replaced.join(' ')}`);
  if (nodes) lines.push(`  Nodes: ${nodes.all.join(' ')} (this is ${nodes.self})`);
  process.stdout.write(`${lines.join('\n')}\n`);
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
  const logFormat = configureLog({ format: options.logFormat, level: options.logLevel });
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
      log: (line) => log.info(line),
    }));
  } catch (err) {
    server.close();
    node.close();
    throw err;
  }
  // Healing: MRF / heal-on-read queue, scanner, replaced-drive healer (knobs: src/heal/config.ts).
  const healing = new HealManager({
    sets: pool.sets,
    replaced: layout.replaced,
    parity: layout.parity,
    node: topology.nodes[topology.localNode] || `${host}:${port}`,
    // Each node scans its share of the sets; MRF and replaced drives stay with the node that saw them.
    shouldScan: (set) => set % topology.nodes.length === topology.localNode,
  });
  // Users, groups and policies: loaded now, kept current by notices from the node that changes them.
  const iam = new Iam({ objects: pool, locks: node.locks, root, previousRoot: previousRootFromEnv(root), tellPeers: (notice) => node.tellPeers('iam', notice), log: (line) => log.warn(line) });
  node.rpc?.onNotice('iam', (notice) => iam.onNotice(notice));
  const metrics = new ServerMetrics(healing);
  metrics.watch(node.local.values(), node.peers);
  await iam.start();
  const app = createS3App({
    routes: [adminRoutes({ manager: healing, iam, metrics, metricsToken: process.env.TESSERA_METRICS_TOKEN })],
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
  announce(logFormat, {
    endpoint: `${certs ? 'https' : 'http'}://${shown === '0.0.0.0' ? '127.0.0.1' : shown}:${port}`,
    layout,
    root,
    ...(topology.nodes.length > 1 ? { nodes: { all: topology.nodes, self: topology.nodes[topology.localNode] } } : {}),
  });
  if (root.isDefault) for (const line of defaultCredentialsWarning(`${shown}:${port}`).split('\n')) log.warn(line);
  await healing.start();
  // Lifecycle rules (knobs: src/lifecycle/worker.ts).
  const lifecycleConfig = lifecycleConfigFromEnv();
  pool.lifecycleDayMs = lifecycleConfig.dayMs;
  const lifecycle = new LifecycleWorker(pool, node.locks, lifecycleConfig, (line) => log.info(line));
  lifecycle.start();

  const sweep = setInterval(() => {
    pool.expireUploads(STALE_UPLOAD_AGE_MS).then(
      (n) => n > 0 && log.info(`aborted ${n} multipart upload(s) older than 24 h`),
      (err: unknown) => log.error('stale upload sweep failed', err),
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
    log.info(`${signal} received, finishing in-flight requests`);
    const force = setTimeout(() => {
      log.warn('requests still running after 30 s, closing them');
      server.closeAllConnections();
      node.rpc?.close(); // peers' sessions are not the listener's to close
    }, 30_000);
    force.unref();
    server.close(async () => {
      await healingStopped;
      node.close();
      await pool.close();
      log.info('stopped');
      process.exit(0);
    });
    server.closeIdleConnections();
    node.rpc?.drain();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
