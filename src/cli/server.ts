/** `tessera server`: bring the drives up, serve S3, and shut down cleanly on SIGTERM/SIGINT. */
import { lifecycleConfigFromEnv } from '../lifecycle/worker.js';
import { readCertsDir } from '../cluster/certs.js';
import type { PoolLayout } from '../erasure/bootstrap.js';
import { describeRootSource, previousRootFromEnv, rootCredentialsFromEnv, type RootCredentials } from '../iam/root.js';
import { requestLimitsFromEnv } from '../s3/limits-config.js';
import { startServer, UsageError } from '../server/start.js';
import { defaultCredentialsWarning, refuseDefaultCredentials } from './default-credentials.js';
import { configureLog, log, type LogFormat } from '../log.js';

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

export async function runServer(driveArgs: string[], options: ServerOptions): Promise<void> {
  const logFormat = configureLog({ format: options.logFormat, level: options.logLevel });
  const { host, port } = parseAddress(options.address);
  const parity = parseParity(options.parity);
  const limits = requestLimitsFromEnv(parseMaxConnections(options.maxConnections));
  const root = rootCredentialsFromEnv();
  const refusal = root.isDefault ? refuseDefaultCredentials({ host, port, allowDefault: options.allowDefaultCredentials === true, env: process.env }) : undefined;
  if (refusal) throw new UsageError(refusal);
  const certs = options.certsDir === undefined ? undefined : await readCertsDir(options.certsDir);

  const server = await startServer({
    drives: driveArgs,
    host,
    port,
    root,
    previousRoot: previousRootFromEnv(root),
    parity,
    region: options.region,
    domains: options.domain.map((d) => d.toLowerCase()),
    corsOrigins: options.corsAllowOrigin,
    certs,
    limits,
    lifecycle: lifecycleConfigFromEnv(),
    log: (line) => log.info(line),
    logError: (line) => log.warn(line),
    metricsToken: process.env.TESSERA_METRICS_TOKEN,
  });
  const { topology, layout } = server;

  const shown = host.includes(':') ? `[${host}]` : host;
  announce(logFormat, {
    endpoint: `${certs ? 'https' : 'http'}://${shown === '0.0.0.0' ? '127.0.0.1' : shown}:${server.port}`,
    layout,
    root,
    ...(topology.nodes.length > 1 ? { nodes: { all: topology.nodes, self: topology.nodes[topology.localNode] } } : {}),
  });
  if (root.isDefault) for (const line of defaultCredentialsWarning(`${shown}:${server.port}`).split('\n')) log.warn(line);

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal} received, finishing in-flight requests`);
    void server.close(30_000).then(() => {
      log.info('stopped');
      process.exit(0);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
