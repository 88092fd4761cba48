/**
 * Node-to-node authentication: every RPC request carries a timestamp and an HMAC over it and the
 * path, keyed by a token derived from the root credentials (which every node shares). Requests
 * without it, with a wrong one or with a stale timestamp are refused.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Credentials } from '../iam/credentials.js';

export const RPC_PREFIX = '/tessera/rpc/v1/';
export const TIME_HEADER = 'x-tessera-time';
export const TOPOLOGY_HEADER = 'x-tessera-topology';
const MAX_SKEW_MS = 15 * 60_000;

export function rpcToken(root: Credentials): Buffer {
  return createHmac('sha256', root.secretKey).update(`tessera-rpc\n${root.accessKey}`).digest();
}

function sign(token: Buffer, time: string, path: string): string {
  return createHmac('sha256', token).update(`${time}\n${path}`).digest('hex');
}

export function authHeaders(token: Buffer, path: string, fingerprint: string): Record<string, string> {
  const time = String(Date.now());
  return { [TIME_HEADER]: time, [TOPOLOGY_HEADER]: fingerprint, authorization: `Tessera ${sign(token, time, path)}` };
}

export type AuthVerdict = 'ok' | 'unauthenticated' | 'stale' | 'other-topology';

export function verifyRpc(token: Buffer, fingerprint: string, path: string, headers: Record<string, string | string[] | undefined>): AuthVerdict {
  const time = String(headers[TIME_HEADER] ?? '');
  const auth = String(headers.authorization ?? '');
  if (!/^\d+$/.test(time) || !auth.startsWith('Tessera ')) return 'unauthenticated';
  const expected = Buffer.from(sign(token, time, path));
  const given = Buffer.from(auth.slice('Tessera '.length));
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return 'unauthenticated';
  if (Math.abs(Date.now() - Number(time)) > MAX_SKEW_MS) return 'stale';
  if (headers[TOPOLOGY_HEADER] !== fingerprint) return 'other-topology';
  return 'ok';
}
