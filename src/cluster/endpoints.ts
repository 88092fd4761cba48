import { createHash } from 'node:crypto';
import { ConfigurationError } from '../errors.js';

/** Drive arguments: `{a...b}` ellipses expand (zero-padded when written so), the rest is taken as given. */

export class EndpointError extends ConfigurationError {}

const ELLIPSIS = /\{(\d+)\.\.\.(\d+)\}/;

/** Expands every `{a...b}` in `arg`, left to right, into the cartesian product. */
export function expandEllipses(arg: string): string[] {
  const match = ELLIPSIS.exec(arg);
  if (!match) return [arg];
  const [whole, fromText, toText] = match;
  const from = Number(fromText);
  const to = Number(toText);
  if (to < from) throw new EndpointError(`invalid range ${whole} in ${arg}: the end is before the start`);
  const width = fromText.length > 1 && fromText.startsWith('0') ? fromText.length : 0;
  const head = arg.slice(0, match.index);
  const tail = arg.slice(match.index + whole.length);
  const out: string[] = [];
  for (let n = from; n <= to; n++) {
    for (const rest of expandEllipses(tail)) out.push(`${head}${String(n).padStart(width, '0')}${rest}`);
  }
  return out;
}

/** One drive of the deployment: where it is and which node serves it. */
export interface DriveEndpoint {
  /** As given (after ellipsis expansion), for messages. */
  text: string;
  /** host:port of the serving node; '' for a local path (single-node form). */
  node: string;
  path: string;
}

export interface Topology {
  drives: DriveEndpoint[];
  /** Every node's host:port, in the order they first appear; [''] for the single-node form. */
  nodes: string[];
  /** Index in `nodes` of the node this process is. */
  localNode: number;
  /** Identifies the whole endpoint list: nodes started with different lists must not form a cluster. */
  fingerprint: string;
}

/** 'localhost' and '127.0.0.1' name the same loopback node; hosts compare case-insensitively. */
function normaliseHost(host: string): string {
  const h = host.toLowerCase();
  return h === 'localhost' ? '127.0.0.1' : h;
}

function parseEndpoint(text: string): DriveEndpoint {
  if (!/^https?:\/\//.test(text)) return { text, node: '', path: text };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new EndpointError(`${text} is not a valid endpoint (expected http://host:port/path or https://host:port/path)`);
  }
  if (!url.port) throw new EndpointError(`${text}: the endpoint needs an explicit port`);
  if (url.pathname === '/' || url.pathname === '') throw new EndpointError(`${text}: the endpoint needs a drive path`);
  return { text, node: `${normaliseHost(url.hostname)}:${url.port}`, path: decodeURIComponent(url.pathname) };
}

/** URL endpoints share one scheme, https exactly when the nodes serve TLS (`tls`: --certs-dir given). */
function checkScheme(drives: DriveEndpoint[], tls: boolean): void {
  const urls = drives.filter((d) => d.node !== '');
  const plain = urls.find((d) => d.text.startsWith('http://'));
  const secure = urls.find((d) => d.text.startsWith('https://'));
  if (plain && secure) throw new EndpointError(`mix of http:// and https:// endpoints (${plain.text}, ${secure.text}): every node must be reached the same way`);
  if (secure && !tls) throw new EndpointError(`https:// endpoints need --certs-dir with this node's certificate and key (public.crt, private.key)`);
  if (plain && tls) throw new EndpointError(`with --certs-dir the nodes serve https: write the endpoints as https://, not ${plain.text}`);
}

/**
 * The deployment from the command line's drive arguments and this node's address. Either all local
 * paths (one node) or all URLs (every node given the same list); a node serves the URLs whose
 * host:port is its own. `options.tls`: the nodes serve https (--certs-dir).
 */
export function parseTopology(args: string[], address: { host: string; port: number }, options: { tls?: boolean } = {}): Topology {
  if (args.filter((a) => ELLIPSIS.test(a)).length > 1) {
    throw new EndpointError(
      'several argument groups with {a...b} make several server pools, which are not supported yet: give one group (e.g. http://10.0.0.{1...4}:9000/mnt/disk{1...4}) or list every drive',
    );
  }
  const drives = args.flatMap(expandEllipses).map(parseEndpoint);
  const remote = drives.filter((d) => d.node !== '').length;
  if (remote > 0 && remote < drives.length) throw new EndpointError('mix of local paths and http:// endpoints: give one or the other');
  checkScheme(drives, options.tls === true);
  const seen = new Set<string>();
  for (const d of drives) {
    const id = `${d.node}${d.path}`;
    if (seen.has(id)) throw new EndpointError(`drive ${d.text} is given twice`);
    seen.add(id);
  }
  const nodes = [...new Set(drives.map((d) => d.node))];
  let localNode = 0;
  if (remote > 0) {
    const self = `${normaliseHost(address.host)}:${address.port}`;
    localNode = nodes.indexOf(self);
    if (localNode < 0) {
      throw new EndpointError(`this node (${self}) is not among the endpoints' nodes (${nodes.join(', ')}); start it with --address set to its own host:port`);
    }
  }
  const fingerprint = createHash('sha256').update(JSON.stringify(drives.map((d) => [d.node, d.path]))).digest('hex').slice(0, 16);
  return { drives, nodes, localNode, fingerprint };
}
