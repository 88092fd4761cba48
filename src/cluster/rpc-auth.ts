/**
 * Node-to-node authentication. Every RPC request is signed with HMAC-SHA256 under a key derived from
 * the root credentials (which every node of a deployment must share anyway). The signature covers the
 * HTTP method, the path (which names the RPC method and drive), a timestamp, a nonce, the endpoint-list
 * fingerprint and the SHA-256 of the body, so a captured request cannot be sent with other arguments,
 * to another method, later than the time window allows, or twice.
 *
 * The nonce is `<sender>.<counter>`: a random id per sending Peer and a counter it increments per
 * request. The receiver keeps a sliding window of counters per sender (as IPsec does), which bounds
 * its memory however many requests pass, while still refusing every repeat. Those windows live in
 * memory, so every request also names the receiving process (its boot id, which a caller learns from
 * a refusal or a ping): a request captured before the receiver restarted is refused after it.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Credentials } from '../iam/credentials.js';

export const RPC_PREFIX = '/tessera/rpc/v1/';
const TIME_HEADER = 'x-tessera-time';
const NONCE_HEADER = 'x-tessera-nonce';
const TOPOLOGY_HEADER = 'x-tessera-topology';
const BODY_HASH_HEADER = 'x-tessera-content-sha256';
/** The receiving process a request is meant for; on a refusal, the receiver's own. */
export const BOOT_HEADER = 'x-tessera-boot';
/** Why an authenticated caller was refused, so its Peer can react (learn a new boot id and retry). */
export const REFUSAL_HEADER = 'x-tessera-refusal';
const SCHEME = 'Tessera-HMAC-SHA256';

/** How far a request's timestamp may be from the receiver's clock (either way). */
export const MAX_SKEW_MS = 60_000;
/** How far behind the newest counter of a sender a request may arrive (requests race on parallel sockets). */
const REPLAY_WINDOW = 1024;
/** Senders remembered at once (each costs one window): far more than a deployment's nodes and restarts. */
const MAX_SENDERS = 4096;
/** A ping is read-only and is how a caller learns a boot id, so it may name any. */
const UNBOUND_PATH = '/tessera/rpc/v1/ping';

export function rpcKey(root: Credentials): Buffer {
  return createHmac('sha256', root.secretKey).update(`tessera-rpc-key-v2\n${root.accessKey}`).digest();
}

export function sha256Hex(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}

interface Signed {
  method: string;
  path: string;
  time: string;
  nonce: string;
  boot: string;
  fingerprint: string;
  bodyHash: string;
}

function signature(key: Buffer, s: Signed): string {
  return createHmac('sha256', key).update(`TESSERA-RPC-2\n${s.method}\n${s.path}\n${s.time}\n${s.nonce}\n${s.boot}\n${s.fingerprint}\n${s.bodyHash}`).digest('hex');
}

/** The signing side: one per Peer, so its counter orders its own requests. */
export class RpcSigner {
  private readonly sender = randomBytes(16).toString('hex');
  private counter = 0;

  constructor(
    private readonly key: Buffer,
    private readonly fingerprint: string,
  ) {}

  /** `bodyHash`: sha256Hex of the body; `boot`: the receiver's boot id as last learned ('' before the first answer). */
  headers(method: string, path: string, bodyHash: string, boot: string): Record<string, string> {
    const signed: Signed = { method, path, time: String(Date.now()), nonce: `${this.sender}.${++this.counter}`, boot, fingerprint: this.fingerprint, bodyHash };
    return {
      [TIME_HEADER]: signed.time,
      [NONCE_HEADER]: signed.nonce,
      [BOOT_HEADER]: boot,
      [TOPOLOGY_HEADER]: signed.fingerprint,
      [BODY_HASH_HEADER]: signed.bodyHash,
      authorization: `${SCHEME} ${signature(this.key, signed)}`,
    };
  }
}

/**
 * Why a request was refused. Only a caller that proved it holds the key learns which (its operator
 * needs to know whether clocks or endpoint lists differ); anyone else is told nothing.
 */
export type RpcRefusal = 'unauthenticated' | 'stale' | 'other-topology' | 'other-boot' | 'replayed';

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
  private lastSweep = 0;
  /** This process: requests signed for another boot id were meant for an earlier run of this node. */
  readonly boot = randomBytes(16).toString('hex');

  constructor(
    private readonly key: Buffer,
    private readonly fingerprint: string,
  ) {}

  /** Checks the headers; the caller must then check that the body hashes to `bodyHash`. */
  verify(method: string, path: string, headers: IncomingHttpHeaders, now = Date.now()): RpcVerdict {
    const time = headers[TIME_HEADER];
    const nonce = headers[NONCE_HEADER];
    const boot = headers[BOOT_HEADER];
    const topology = headers[TOPOLOGY_HEADER];
    const bodyHash = headers[BODY_HASH_HEADER];
    const auth = headers.authorization;
    const parsed = typeof nonce === 'string' ? /^([0-9a-f]{32})\.([1-9]\d{0,14})$/.exec(nonce) : null;
    if (
      typeof time !== 'string' || !/^\d{1,16}$/.test(time) || !parsed || typeof boot !== 'string' || !/^([0-9a-f]{32})?$/.test(boot) ||
      typeof topology !== 'string' || typeof bodyHash !== 'string' || !/^[0-9a-f]{64}$/.test(bodyHash) ||
      typeof auth !== 'string' || !auth.startsWith(`${SCHEME} `)
    ) {
      return { ok: false, refusal: 'unauthenticated' };
    }
    // The fingerprint is signed as the caller sent it: a caller with the key but another endpoint list is told so.
    const expected = Buffer.from(signature(this.key, { method, path, time, nonce: nonce as string, boot, fingerprint: topology, bodyHash }));
    const given = Buffer.from(auth.slice(SCHEME.length + 1));
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, refusal: 'unauthenticated' };
    const sent = Number(time);
    if (Math.abs(now - sent) > MAX_SKEW_MS) return { ok: false, refusal: 'stale' };
    if (topology !== this.fingerprint) return { ok: false, refusal: 'other-topology' };
    if (boot !== this.boot && path !== UNBOUND_PATH) return { ok: false, refusal: 'other-boot' };
    if (!this.accept(parsed[1], Number(parsed[2]), sent, now)) return { ok: false, refusal: 'replayed' };
    return { ok: true, bodyHash };
  }

  private accept(sender: string, counter: number, sent: number, now: number): boolean {
    let window = this.senders.get(sender);
    if (!window) {
      this.forgetStale(now);
      if (this.senders.size >= MAX_SENDERS) return false;
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

  /** Senders whose every request is past the time window can never be replayed: drop their windows (at most once a second). */
  private forgetStale(now: number): void {
    if (now - this.lastSweep < 1_000 && this.senders.size < MAX_SENDERS) return;
    this.lastSweep = now;
    for (const [sender, window] of this.senders) if (now - window.newestTime > MAX_SKEW_MS) this.senders.delete(sender);
  }

  /** How many senders are remembered (for tests of the bound). */
  get rememberedSenders(): number {
    return this.senders.size;
  }
}
