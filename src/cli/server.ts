/** `tessera server`: bring the drives up, serve S3, and shut down cleanly on SIGTERM/SIGINT. */
import { lifecycleConfigFromEnv } from '../lifecycle/worker.js';
import { readCertsDir } from '../cluster/certs.js';
import type { PoolLayout } from '../erasure/bootstrap.js';
import { describeRootSource, previousRootFromEnv, rootCredentialsFromEnv, type RootCredentials } from '../iam/root.js';
import { requestLimitsFromEnv } from '../s3/limits-config.js';
import { startServer, UsageError } from '../server/start.js';
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

export async function runServer(driveArgs: string[], options: ServerOptions): Promise<void> {
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
    log: (line) => console.log(line),
    logError: (line) => console.error(line),
  });
  const { topology, layout } = server;

  const shown = host.includes(':') ? `[${host}]` : host;
  console.log(describeLayout(layout, `${certs ? 'https' : 'http'}://${shown === '0.0.0.0' ? '127.0.0.1' : shown}:${server.port}`, root));
  if (topology.nodes.length > 1) console.log(`  Nodes: ${topology.nodes.join(' ')} (this is ${topology.nodes[topology.localNode]})`);
  if (root.isDefault) console.error(defaultCredentialsWarning(`${shown}:${server.port}`));

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`tessera: ${signal} received, finishing in-flight requests`);
    void server.close(30_000).then(() => {
      console.log('tessera: stopped');
      process.exit(0);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
