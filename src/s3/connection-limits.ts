/**
 * What one connection may cost the server, whoever is at the other end: how long its header block may
 * take, how many connections are served at once, and how much of a body is still read after the answer
 * when nobody will use it. Applies to a node:http or node:https server, after it is created with its
 * request handler and before it listens.
 */
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { finished } from 'node:stream';
import { HEALTH_PREFIX } from '../admin/health.js';
import { S3Error } from '../errors.js';
import { errorXml, newResponseIds } from './response.js';
import { log } from '../log.js';

export interface ConnectionLimits {
  /** Connections served at once. */
  maxConnections: number;
  /** Longest a request's header block may take to arrive (slowloris). */
  headersTimeoutMs: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = { maxConnections: 4096, headersTimeoutMs: 30_000 };

/**
 * Connections accepted past the cap. On these only health checks are answered (an operator must see a
 * busy node, not a dead one), one request per connection; any other request gets 503 SlowDown. Further
 * connections are closed at once. Node RPC sessions are `CONNECT` requests, which never reach here.
 */
const OVERFLOW_CONNECTIONS = 64;
/**
 * Connections the kernel holds until the server accepts them (Linux caps it at net.core.somaxconn). A
 * full queue drops new connections for a second or more, health checks included, so it must outlast a
 * burst of connections arriving while the process waits for a CPU.
 */
export const LISTEN_BACKLOG = 4096;
/**
 * After the answer, a body still arriving that was declared this small is read to its end and dropped,
 * within DRAIN_MS, so the connection can serve another request. A larger one is not read at all: the
 * connection is half-closed and dropped LINGER_MS later (time for the client to read the answer first).
 */
const DRAIN_BYTES = 256 * 1024;
const DRAIN_MS = 5_000;
const LINGER_MS = 1_000;
/**
 * Keep-alive connections stay open longer than clients keep idle sockets (a server closing one just as a
 * client reuses it is a "socket hang up" for the client).
 */
const KEEP_ALIVE_MS = 65_000;
/** A connection on which nothing moves either way for this long is dropped. */
const IDLE_CONNECTION_MS = 5 * 60_000;

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** Answers 503 SlowDown and closes the connection. */
export function refuseBusy(res: ServerResponse, message: string): void {
  const ids = newResponseIds();
  res.writeHead(503, { 'content-type': 'application/xml', 'retry-after': '1', 'x-amz-request-id': ids.requestId, 'x-amz-id-2': ids.hostId, connection: 'close' });
  res.end(errorXml(new S3Error('SlowDown', message), ids));
}

/** Served even past the cap: health checks. */
function passesCap(req: IncomingMessage): boolean {
  return (req.method === 'GET' || req.method === 'HEAD') && (req.url ?? '').startsWith(HEALTH_PREFIX);
}

/** Which connections are served: the first `max` to send a request, for as long as they stay open. */
class Admission {
  private served = 0;
  private readonly decided = new WeakMap<Socket, boolean>();

  constructor(private readonly max: number) {}

  admits(socket: Socket): boolean {
    let admitted = this.decided.get(socket);
    if (admitted === undefined) {
      admitted = this.served < this.max;
      this.decided.set(socket, admitted);
      if (admitted) {
        this.served++;
        socket.once('close', () => this.served--);
      }
    }
    return admitted;
  }
}

/** Once the answer is out, a body still arriving is not left to keep its connection open. */
function boundUnreadBody(req: IncomingMessage, res: ServerResponse): void {
  res.once('finish', () => {
    if (req.complete) return;
    const socket = req.socket;
    if (Number(req.headers['content-length']) <= DRAIN_BYTES) {
      const timer = setTimeout(() => socket.destroy(), DRAIN_MS);
      finished(req, () => clearTimeout(timer));
      req.unpipe();
      req.resume();
      return;
    }
    socket.pause();
    socket.end();
    setTimeout(() => socket.destroy(), LINGER_MS);
  });
}

/** The server's own settings: header, idle and keep-alive timeouts, the hard connection limit, accept failures. */
export function applyConnectionLimits(server: HttpServer | HttpsServer, limits: ConnectionLimits): void {
  // No limit on a whole request: uploads may take hours (their bodies have a floor rate instead).
  server.requestTimeout = 0;
  server.headersTimeout = limits.headersTimeoutMs;
  // Node checks the header timeout on this interval (read when the server starts listening).
  (server as { connectionsCheckingInterval?: number }).connectionsCheckingInterval = Math.min(5_000, Math.max(100, limits.headersTimeoutMs / 4));
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  server.setTimeout(IDLE_CONNECTION_MS);
  server.maxConnections = limits.maxConnections + OVERFLOW_CONNECTIONS;
  // Out of file descriptors, Node reports a failed accept as a server error, which would end the process.
  server.once('listening', () => {
    let reported = 0;
    server.on('error', (err: NodeJS.ErrnoException) => {
      if (err.syscall !== 'accept') throw err;
      if (Date.now() - reported < 10_000) return;
      reported = Date.now();
      log.error(`cannot accept connections: ${err.message} (lower --max-connections or raise the open files limit)`);
    });
  });
}

/** `handler` behind the connection cap, with unread bodies bounded: what the server is created with. */
export function limitedHandler(handler: RequestListener, limits: ConnectionLimits): RequestListener {
  const admission = new Admission(limits.maxConnections);
  return (req, res) => {
    boundUnreadBody(req, res);
    if (!admission.admits(req.socket)) {
      if (!passesCap(req)) {
        refuseBusy(res, `The server is serving its maximum of ${limits.maxConnections} connections.`);
        return;
      }
      res.setHeader('connection', 'close');
    }
    handler(req, res);
  };
}
