/**
 * The client side of node RPC: one Peer per other node, with a keep-alive connection pool, time
 * limits, and a health state. A peer that fails to answer is marked offline at once and probed in the
 * background, so calls to it fail fast instead of waiting on a dead node.
 */
import { Packr } from 'msgpackr';
import { DriveError } from '../storage/drive.js';
import { BOOT_HEADER, REFUSAL_HEADER, RPC_PREFIX, RpcSigner, sha256Hex } from './rpc-auth.js';
import { explainTlsFailure, peerTransport, type PeerTransport } from './transport.js';

export const rpcPackr = new Packr({ useRecords: false, moreTypes: false, bundleStrings: false });

/** Default limit for one RPC; shard appends and reads get longer. */
const CALL_TIMEOUT_MS = 5_000;
/** Every node is pinged this often: a heartbeat while it answers, a probe while it does not. */
const PING_INTERVAL_MS = 1_000;
const PING_TIMEOUT_MS = 1_500;
/** Unanswered pings in a row (timeouts, not refusals) before a node counts as offline. */
const MISSED_PINGS_OFFLINE = 2;

// A node whose certificate fails verification (EPEERTLS) cannot be used either.
const CONNECTION_FAILURES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'EPEERTLS']);

function isTimeout(err: unknown): boolean {
  return (err as NodeJS.ErrnoException)?.code === 'ETIMEDOUT';
}

function isConnectionFailure(err: unknown): boolean {
  return CONNECTION_FAILURES.has((err as NodeJS.ErrnoException)?.code ?? '');
}

export class RpcError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'RpcError';
  }
}

/**
 * A refusal that a fresh signature may cure: the request named an earlier run of the peer (its new
 * boot id came with the refusal), or its timestamp went stale while it waited for a socket. Retried once.
 */
class SignAgain extends Error {}

export interface PingAnswer {
  node: string;
  /** The answering process's boot id (see rpc-auth.ts). */
  boot: string;
  /** Online flags of that node's drives, by global drive index. */
  drives: Record<number, boolean>;
}

export class Peer {
  private online = true;
  private pinger?: NodeJS.Timeout;
  private pinging = false;
  private missedPings = 0;
  private driveStates: Record<number, boolean> = {};
  private readonly signer: RpcSigner;
  /** The peer process's boot id, which our requests must name (learned from pings and refusals). */
  private receiverBoot = '';
  private offlineReason = '';

  constructor(
    readonly address: string,
    key: Buffer,
    fingerprint: string,
    private readonly transport: PeerTransport = peerTransport(),
  ) {
    this.signer = new RpcSigner(key, fingerprint);
  }

  isOnline(): boolean {
    return this.online;
  }

  /** Whether the peer last reported drive `index` online (true until it says otherwise). */
  driveOnline(index: number): boolean {
    return this.online && this.driveStates[index] !== false;
  }

  setDriveState(index: number, online: boolean): void {
    this.driveStates[index] = online;
  }

  /** Calls `path` (under the RPC prefix) with msgpack `args`; rejects with DriveError('offline') when the peer is down. */
  async call<T>(path: string, args: unknown, timeoutMs = CALL_TIMEOUT_MS): Promise<T> {
    if (!this.online) throw new DriveError('offline', `node ${this.address} is offline`);
    try {
      return await this.request<T>(path, args, timeoutMs);
    } catch (err) {
      // A refused or reset connection proves the node is gone; a slow answer may be load, which the heartbeat judges.
      if (isConnectionFailure(err) || (isTimeout(err) && ++this.missedPings >= MISSED_PINGS_OFFLINE)) this.markOffline((err as Error).message);
      throw err instanceof RpcError || err instanceof DriveError ? err : new DriveError('offline', `node ${this.address}: ${(err as Error).message}`);
    }
  }

  /** One request without health bookkeeping (used by probes and by bootstrap, which waits for peers). */
  async request<T>(path: string, args: unknown, timeoutMs = CALL_TIMEOUT_MS): Promise<T> {
    const body = rpcPackr.pack(args);
    const bodyHash = sha256Hex(body);
    try {
      return await this.send<T>(path, body, bodyHash, timeoutMs);
    } catch (err) {
      if (!(err instanceof SignAgain)) throw err;
      return this.send<T>(path, body, bodyHash, timeoutMs);
    }
  }

  private send<T>(path: string, body: Buffer, bodyHash: string, timeoutMs: number): Promise<T> {
    const fullPath = `${RPC_PREFIX}${path}`;
    const boot = this.receiverBoot;
    const [host, port] = [this.address.slice(0, this.address.lastIndexOf(':')), Number(this.address.slice(this.address.lastIndexOf(':') + 1))];
    return new Promise<T>((resolve, reject) => {
      const req = this.transport.request(
        {
          host,
          port,
          method: 'POST',
          path: fullPath,
          agent: this.transport.agent,
          headers: { 'content-type': 'application/msgpack', 'content-length': body.length, ...this.signer.headers('POST', fullPath, bodyHash, boot) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const payload = Buffer.concat(chunks);
            if (res.statusCode === 403) {
              const refusal = res.headers[REFUSAL_HEADER];
              const newBoot = res.headers[BOOT_HEADER];
              if (refusal === 'other-boot' && typeof newBoot === 'string' && newBoot !== boot) {
                this.learnBoot(newBoot);
                return reject(new SignAgain());
              }
              // Signed when it was queued: a request that waited long for a socket is stale through no clock's fault.
              if (refusal === 'stale') return reject(new SignAgain());
              return reject(new DriveError('refused', `${this.address}: ${payload.toString()}`));
            }
            if (res.statusCode !== 200) return reject(new RpcError(payload.toString() || `HTTP ${res.statusCode}`, res.statusCode ?? 0));
            try {
              const answer = rpcPackr.unpack(payload) as { r?: T; e?: { kind: string; message: string } };
              if (answer.e) reject(new DriveError(answer.e.kind as DriveError['kind'], answer.e.message));
              else resolve(answer.r as T);
            } catch (err) {
              reject(err as Error);
            }
          });
        },
      );
      req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
      req.on('error', (err) => reject(explainTlsFailure(err, this.address)));
      req.end(body);
    });
  }

  /** Called when the peer is found running as another process than before: the old one is surely gone. */
  readonly restartListeners: (() => void)[] = [];

  private learnBoot(boot: string): void {
    const before = this.receiverBoot;
    this.receiverBoot = boot;
    if (before !== '' && before !== boot) for (const listener of this.restartListeners) listener();
  }

  markOffline(reason: string): void {
    if (!this.online) {
      // A node down for another reason now (say, back with a certificate this node does not trust) is worth a line.
      if (reason !== this.offlineReason) console.error(`tessera: node ${this.address} is still offline (${reason})`);
      this.offlineReason = reason;
      return;
    }
    this.online = false;
    this.offlineReason = reason;
    console.error(`tessera: node ${this.address} is offline (${reason}); probing it in the background`);
  }

  /** Starts the heartbeat that keeps the peer's and its drives' states current. */
  start(): void {
    this.pinger ??= setInterval(() => void this.ping(), PING_INTERVAL_MS);
    this.pinger.unref();
  }

  private async ping(): Promise<void> {
    if (this.pinging) return;
    this.pinging = true;
    try {
      const answer = await this.request<PingAnswer>('ping', null, PING_TIMEOUT_MS);
      this.driveStates = { ...answer.drives };
      this.learnBoot(answer.boot);
      if (!this.online) {
        this.online = true;
        console.log(`tessera: node ${this.address} is back online`);
      }
      this.missedPings = 0;
    } catch (err) {
      if (isConnectionFailure(err) || (isTimeout(err) && ++this.missedPings >= MISSED_PINGS_OFFLINE)) this.markOffline((err as Error).message);
    } finally {
      this.pinging = false;
    }
  }

  close(): void {
    clearInterval(this.pinger);
    this.transport.agent.destroy();
  }
}
