/**
 * The node's one listener, for S3, admin, console and node RPC alike: HTTPS with the certificate and
 * key of the certs directory when there is one, plain HTTP otherwise. Its timeouts and limits are set
 * afterwards, the same for both (src/s3/connection-limits.ts).
 */
import http from 'node:http';
import https from 'node:https';
import type { ServerCerts } from './certs.js';

export type Listener = http.Server | https.Server;
export type RequestHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export function createListener(certs: ServerCerts | undefined, handler: RequestHandler): Listener {
  return certs ? https.createServer({ cert: certs.cert, key: certs.key }, handler) : http.createServer(handler);
}
