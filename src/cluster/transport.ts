/**
 * How a Peer reaches its node: plain HTTP, or HTTPS that verifies the node's certificate (and its
 * host name) against the system's roots, the CAs of the certs directory and this node's own
 * certificate, so that nodes sharing one self-signed certificate or one private CA trust each other.
 */
import http from 'node:http';
import https from 'node:https';
import type { ServerCerts } from './certs.js';
import { trustedWith } from './certs.js';

export interface PeerTransport {
  /** A request on a connection of its own (node RPC sessions outlive requests; no agent pools them). */
  request(options: http.RequestOptions): http.ClientRequest;
}

/** A transport for one peer: HTTPS trusting `certs` when given, plain HTTP otherwise. */
export function peerTransport(certs?: ServerCerts): PeerTransport {
  if (!certs) return { request: (options) => http.request({ ...options, agent: false }) };
  const secureContext = trustedWith([...certs.cas, certs.cert]);
  return { request: (options) => https.request({ ...options, agent: false, secureContext } as https.RequestOptions) };
}

/** The node's certificate failed verification, or the TLS handshake did: the node cannot be used. */
export class PeerTlsError extends Error {
  readonly code = 'EPEERTLS';
}

/** OpenSSL's verification failures, as Node reports them in `err.code`. */
const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
]);
const EXPIRED = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);
const HANDSHAKE = new Set(['EPROTO', 'ERR_SSL_WRONG_VERSION_NUMBER']);

/** `err` as a PeerTlsError that says what to fix when it is a TLS failure; otherwise `err` itself. */
export function explainTlsFailure(err: Error, address: string): Error {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  if (UNTRUSTED.has(code)) return new PeerTlsError(`the TLS certificate of ${address} is not trusted (${err.message}): its CA belongs in CAs/ of --certs-dir`);
  if (EXPIRED.has(code)) return new PeerTlsError(`the TLS certificate of ${address} is not valid now (${err.message})`);
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return new PeerTlsError(`the TLS certificate of ${address} does not name it (${err.message})`);
  if (HANDSHAKE.has(code)) return new PeerTlsError(`TLS handshake with ${address} failed (${err.message}): does it serve https (--certs-dir)?`);
  return err;
}
