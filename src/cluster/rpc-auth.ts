/**
 * Node-to-node authentication, done once per connection. A node opens a session to a peer with an
 * HTTP `CONNECT` request on the peer's S3 port, signed with HMAC-SHA256 under a key derived from the
 * root credentials (which every node of a deployment must share anyway). The signature covers the
 * method, the path, a timestamp, a nonce, the endpoint-list fingerprint, the node it is meant for and
 * the caller's random half of the session secret, so a captured request cannot be sent to another
 * path or node, later than the time window allows, or twice.
 *
 * The peer answers with its own random half, and both derive the session key from the two halves:
 * every frame of the session is then authenticated under that key (rpc-frames.ts), with sequence
 * numbers that make a replayed, dropped or reordered frame fatal to the session. Someone who replays
 * a whole handshake gets a session whose key they cannot compute.
 *
 * The nonce is `<sender>.<counter>`: a random id per signing Peer and a counter it increments per
 * handshake. The receiver keeps a sliding window of counters per sender (as IPsec does), which bounds
 * its memory however many handshakes pass, while still refusing every repeat.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Credentials } from '../iam/credentials.js';

/** The one path of node RPC: a `CONNECT` here opens a session. */
export const RPC_CONNECT_PATH = '/tessera/rpc/v7/session';
const TIME_HEADER = 'x-tessera-time';
const NONCE_HEADER = 'x-tessera-nonce';
const TOPOLOGY_HEADER = 'x-tessera-topology';
/** The node the caller means to reach, as the endpoint list names it (host:port). */
const RECEIVER_HEADER = 'x-tessera-receiver';
/** The caller's half of the session secret in the request; the receiver's half in its answer. */
export const SESSION_HEADER = 'x-tessera-session';
/** Why an authenticated caller was refused, so its operator learns what to fix. */
export const REFUSAL_HEADER = 'x-tessera-refusal';
const SCHEME = 'Tessera-HMAC-SHA256';
const HALF_PATTERN = /^[0-9a-f]{64}$/;

/** How far a handshake's timestamp may be from the receiver's clock (either way). */
export const MAX_SKEW_MS = 60_000;
/** How far behind the newest counter of a sender a handshake may arrive (connections race). */
const REPLAY_WINDOW = 1024;
/** Senders remembered at once (each costs one window): far more than a deployment's nodes and restarts. */
const MAX_SENDERS = 4096;

export function rpcKey(root: Credentials): Buffer {
  return createHmac('sha256', root.secretKey).update(`tessera-rpc-key-v2\n${root.accessKey}`).digest();
}

/** A random half of a session secret, as it travels in SESSION_HEADER. */
export function sessionHalf(): string {
  return randomBytes(32).toString('hex');
}

/** The key that authenticates a session's frames, from both halves and the endpoint list. */
export function sessionKey(key: Buffer, fingerprint: string, callerHalf: string, receiverHalf: string): Buffer {
  return createHmac('sha256', key).update(`tessera-rpc-session-v6\n${fingerprint}\n${callerHalf}\n${receiverHalf}`).digest();
}

interface Signed {
  method: string;
  path: string;
  time: string;
  nonce: string;
  fingerprint: string;
  receiver: string;
  half: string;
}

function signature(key: Buffer, s: Signed): string {
  return createHmac('sha256', key).update(`TESSERA-RPC-6\n${s.method}\n${s.path}\n${s.time}\n${s.nonce}\n${s.fingerprint}\n${s.receiver}\n${s.half}`).digest('hex');
}

/** The signing side: one per Peer, so its counter orders its own handshakes. */
export class RpcSigner {
  private readonly sender = randomBytes(16).toString('hex');
  private counter = 0;

  constructor(
    private readonly key: Buffer,
    private readonly fingerprint: string,
  ) {}

  /** The headers of a handshake with node `receiver`, offering `half` as the caller's half of the session secret. */
  headers(method: string, path: string, receiver: string, half: string): Record<string, string> {
    const signed: Signed = { method, path, time: String(Date.now()), nonce: `${this.sender}.${++this.counter}`, fingerprint: this.fingerprint, receiver, half };
    return {
      [TIME_HEADER]: signed.time,
      [NONCE_HEADER]: signed.nonce,
      [TOPOLOGY_HEADER]: signed.fingerprint,
      [RECEIVER_HEADER]: receiver,
      [SESSION_HEADER]: half,
      authorization: `${SCHEME} ${signature(this.key, signed)}`,
    };
  }
}

/**
 * Why a handshake was refused. Only a caller that proved it holds the key learns which (its operator
 * needs to know whether clocks or endpoint lists differ); anyone else is told nothing.
 */
export type RpcRefusal = 'unauthenticated' | 'stale' | 'other-topology' | 'other-receiver' | 'replayed';

export type RpcVerdict = { ok: true; half: string } | { ok: false; refusal: RpcRefusal };

interface SenderWindow {
  highest: number;
  /** seen[c % REPLAY_WINDOW] === c when counter c was accepted. */
  seen: Float64Array;
  /** Newest timestamp accepted from the sender: once it is stale, so is every handshake it sent. */
  newestTime: number;
}

export class RpcVerifier {
  private readonly senders = new Map<string, SenderWindow>();
  private lastSweep = 0;

  /** `node`: this node, as the endpoint list names it; handshakes meant for any other are refused. */
  constructor(
    private readonly key: Buffer,
    private readonly fingerprint: string,
    private readonly node: string,
  ) {}

  /** Checks a handshake's headers; on success, returns the caller's half of the session secret. */
  verify(method: string, path: string, headers: IncomingHttpHeaders, now = Date.now()): RpcVerdict {
    const time = headers[TIME_HEADER];
    const nonce = headers[NONCE_HEADER];
    const topology = headers[TOPOLOGY_HEADER];
    const receiver = headers[RECEIVER_HEADER];
    const half = headers[SESSION_HEADER];
    const auth = headers.authorization;
    const parsed = typeof nonce === 'string' ? /^([0-9a-f]{32})\.([1-9]\d{0,14})$/.exec(nonce) : null;
    if (
      typeof time !== 'string' || !/^\d{1,16}$/.test(time) || !parsed || typeof topology !== 'string' || typeof receiver !== 'string' ||
      typeof half !== 'string' || !HALF_PATTERN.test(half) || typeof auth !== 'string' || !auth.startsWith(`${SCHEME} `)
    ) {
      return { ok: false, refusal: 'unauthenticated' };
    }
    // The fingerprint is signed as the caller sent it: a caller with the key but another endpoint list is told so.
    const expected = Buffer.from(signature(this.key, { method, path, time, nonce: nonce as string, fingerprint: topology, receiver, half }));
    const given = Buffer.from(auth.slice(SCHEME.length + 1));
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, refusal: 'unauthenticated' };
    const sent = Number(time);
    if (Math.abs(now - sent) > MAX_SKEW_MS) return { ok: false, refusal: 'stale' };
    if (topology !== this.fingerprint) return { ok: false, refusal: 'other-topology' };
    if (receiver !== this.node) return { ok: false, refusal: 'other-receiver' };
    if (!this.accept(parsed[1], Number(parsed[2]), sent, now)) return { ok: false, refusal: 'replayed' };
    return { ok: true, half };
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

  /** Senders whose every handshake is past the time window can never be replayed: drop their windows (at most once a second). */
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
