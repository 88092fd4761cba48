/**
 * The node's one listener, for S3, admin, console and node RPC alike: HTTPS with the certificate and
 * key of the certs directory when there is one, plain HTTP otherwise. Its timeouts and limits are set
 * afterwards, the same for both (src/s3/connection-limits.ts).
 *
 * `Expect: 100-continue` is answered only when a handler starts reading the body (askForBody), so a
 * request refused before that (a bad signature, a missing bucket) is answered without the client
 * sending its body; Node then closes the connection, as the body was never read. Other Expect values
 * are ignored, as S3 ignores them (Node would answer 417).
 */
import http from 'node:http';
import https from 'node:https';
import type { ServerCerts } from './certs.js';

export type Listener = http.Server | https.Server;
export type RequestHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export function createListener(certs: ServerCerts | undefined, handler: RequestHandler): Listener {
  const server = certs ? https.createServer({ cert: certs.cert, key: certs.key }, handler) : http.createServer(handler);
  server.on('checkContinue', handler);
  server.on('checkExpectation', handler);
  return server;
}

const continued = new WeakSet<http.ServerResponse>();

/** Tells a client waiting for `100 Continue` to send its body: called by whatever is about to read a body. */
export function askForBody(req: http.IncomingMessage, res: http.ServerResponse): void {
  // An HTTP/1.0 client cannot be sent a 100 (RFC 9110 10.1.1): it sends its body unasked.
  const http11 = req.httpVersionMajor > 1 || (req.httpVersionMajor === 1 && req.httpVersionMinor >= 1);
  if (!http11 || continued.has(res) || res.headersSent || !/(?:^|\W)100-continue(?:$|\W)/i.test(req.headers.expect ?? '')) return;
  continued.add(res);
  res.writeContinue();
}
