/**
 * Node-to-node authentication. Every RPC request is signed with HMAC-SHA256 under a key derived from
 * the root credentials (which every node of a deployment must share anyway). The signature covers the
 * HTTP method, the path (which names the RPC method and drive), a timestamp, a nonce, the endpoint-list
 * fingerprint and the SHA-256 of the body, so a captured request cannot be sent with other arguments,
 * to another method, later than the time window allows, or twice.
 *
 * The nonce is `<sender>.<counter>`: a random id per sending Peer and a counter it increments per
 * request. The receiver keeps a sliding window of counters per sender (as IPsec does), which bounds
 * its memory however many requests pass, while still refusing every repeat.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Credentials } from '../iam/credentials.js';

export const RPC_PREFIX = '/tessera/rpc/v1/';
const TIME_HEADER = 'x-tessera-time';
const NONCE_HEADER = 'x-tessera-nonce';
const TOPOLOGY_HEADER = 'x-tessera-topology';
const BODY_HASH_HEADER = 'x-tessera-content-sha256';
const SCHEME = 'Tessera-HMAC-SHA256';

/** How far a request's timestamp may be from the receiver's clock (either way). */
export const MAX_SKEW_MS = 60_000;
/** How far behind the newest counter of a sender a request may arrive (requests race on parallel sockets). */
const REPLAY_WINDOW = 1024;

export function rpcKey(root: Credentials): Buffer {
  return createHmac('sha256', root.secretKey).update(`tessera-rpc-key-v2\n${root.accessKey}`).digest();
}

export function sha256Hex(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}

function signature(key: Buffer, method: string, path: string, time: string, nonce: string, fingerprint: string, bodyHash: string): string {
  return createHmac('sha256', key).update(`TESSERA-RPC-2\n${method}\n${path}\n${time}\n${nonce}\n${fingerprint}\n${bodyHash}`).digest('hex');
}

/** The signing side: one per Peer, so its counter orders its own requests. */
export class RpcSigner {
  private readonly sender = randomBytes(16).toString('hex');
  private counter = 0;

  constructor(
    private readonly key: Buffer,
    private readonly fingerprint: string,
  ) {}

  headers(method: string, path: string, body: Buffer): Record<string, string> {
    const time = String(Date.now());
    const nonce = `${this.sender}.${++this.counter}`;
    const bodyHash = sha256Hex(body);
    return {
      [TIME_HEADER]: time,
      [NONCE_HEADER]: nonce,
      [TOPOLOGY_HEADER]: this.fingerprint,
      [BODY_HASH_HEADER]: bodyHash,
      authorization: `${SCHEME} ${signature(this.key, method, path, time, nonce, this.fingerprint, bodyHash)}`,
    };
  }
}

/**
 * Why a request was refused. Only a caller that proved it holds the key learns which (its operator
 * needs to know whether clocks or endpoint lists differ); anyone else is told nothing.
 */
export type RpcRefusal = 'unauthenticated' | 'stale' | 'other-topology' | 'replayed';

export type RpcVerdict = { ok: true; bodyHash: string } | { ok: false; refusal: RpcRefusal };

interface SenderWindow {
  highest: number;
  /** seen[c % REPLAY_WINDOW] === c when counter c was accepted. */
  seen: Float64Array;
  /** Newest timestamp accepted from the sender: once it is stale, so is every request it sent. */
  newestTime: number;
}

export class RpcVerifier {
  private readonly senders = new Map<string, SenderWindow>();

  constructor(
    private readonly key: Buffer,
    private readonly fingerprint: string,
  ) {}

  /** Checks the headers; the caller must then check that the body hashes to `bodyHash`. */
  verify(method: string, path: string, headers: IncomingHttpHeaders, now = Date.now()): RpcVerdict {
    const time = headers[TIME_HEADER];
    const nonce = headers[NONCE_HEADER];
    const topology = headers[TOPOLOGY_HEADER];
    const bodyHash = headers[BODY_HASH_HEADER];
    const auth = headers.authorization;
    const parsed = typeof nonce === 'string' ? /^([0-9a-f]{32})\.([1-9]\d{0,15})$/.exec(nonce) : null;
    if (
      typeof time !== 'string' || !/^\d{1,16}$/.test(time) || !parsed || typeof topology !== 'string' ||
      typeof bodyHash !== 'string' || !/^[0-9a-f]{64}$/.test(bodyHash) || typeof auth !== 'string' || !auth.startsWith(`${SCHEME} `)
    ) {
      return { ok: false, refusal: 'unauthenticated' };
    }
    // The fingerprint is signed as the caller sent it: a caller with the key but another endpoint list is told so.
    const expected = Buffer.from(signature(this.key, method, path, time, nonce as string, topology, bodyHash));
    const given = Buffer.from(auth.slice(SCHEME.length + 1));
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, refusal: 'unauthenticated' };
    const sent = Number(time);
    if (Math.abs(now - sent) > MAX_SKEW_MS) return { ok: false, refusal: 'stale' };
    if (topology !== this.fingerprint) return { ok: false, refusal: 'other-topology' };
    if (!this.accept(parsed[1], Number(parsed[2]), sent, now)) return { ok: false, refusal: 'replayed' };
    return { ok: true, bodyHash };
  }

  private accept(sender: string, counter: number, sent: number, now: number): boolean {
    let window = this.senders.get(sender);
    if (!window) {
      this.forgetStale(now);
      window = { highest: 0, seen: new Float64Array(REPLAY_WINDOW).fill(-1), newestTime: 0 };
      this.senders.set(sender, window);
    }
    if (counter <= window.highest - REPLAY_WINDOW) return false;
    const slot = counter % REPLAY_WINDOW;
    if (window.seen[slot] === counter) return false;
    window.seen[slot] = counter;
    window.highest = Math.max(window.highest, counter);
    window.newestTime = Math.max(window.newestTime, sent);
    return true;
  }

  /** Senders whose every request is past the time window can never be replayed: drop their windows. */
  private forgetStale(now: number): void {
    for (const [sender, window] of this.senders) if (now - window.newestTime > MAX_SKEW_MS) this.senders.delete(sender);
  }

  /** How many senders are remembered (for tests of the bound). */
  get rememberedSenders(): number {
    return this.senders.size;
  }
}
