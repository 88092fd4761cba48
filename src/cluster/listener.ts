/**
 * The node's one listener, for S3, admin, console and node RPC alike: HTTPS with the certificate and
 * key of the certs directory when there is one, plain HTTP otherwise, with the same server options.
 */
import http from 'node:http';
import https from 'node:https';
import type { ServerCerts } from './certs.js';

export type Listener = http.Server | https.Server;
export type RequestHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export function createListener(certs: ServerCerts | undefined, options: http.ServerOptions, handler: RequestHandler): Listener {
  return certs ? https.createServer({ ...options, cert: certs.cert, key: certs.key }, handler) : http.createServer(options, handler);
}
