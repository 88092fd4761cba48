/**
 * The client side of node RPC: one Peer per other node, holding two persistent sessions with it (one
 * for metadata, locks and pings, one for shard data, so a block in transit never delays a lock grant),
 * time limits, and a health state. A peer that fails to answer is marked offline at once and probed in
 * the background, so calls to it fail fast instead of waiting on a dead node.
 */
import { DriveError } from '../storage/drive.js';
import { RpcSigner } from './rpc-auth.js';
import { RpcConnection, type LostAnswer, type SessionTarget } from './rpc-connection.js';
import { peerTransport, type PeerTransport } from './transport.js';
import { log } from '../log.js';

/** Default limit for one RPC; shard appends and reads get longer. */
const CALL_TIMEOUT_MS = 5_000;
/** Longest a session may take to open (TCP, TLS, the signed handshake and the peer's hello). */
const SESSION_TIMEOUT_MS = 3_000;
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

/** A failure to reach a peer's drive, as the Drive interface reports it. */
function asDriveError(err: unknown, address: string): DriveError {
  return err instanceof DriveError ? err : new DriveError('offline', `node ${address}: ${(err as Error).message}`, (err as Partial<LostAnswer>).unanswered === true);
}

export interface PingAnswer {
  node: string;
  /** The answering process's boot id (see rpc-server.ts). */
  boot: string;
  /** Online flags of that node's drives, by global drive index. */
  drives: Record<number, boolean>;
}

export interface CallOptions {
  timeoutMs?: number;
  /** Shard data: travels on the data session. */
  bulk?: boolean;
}

type Lane = 'control' | 'bulk';

/** Calls bound to one session of a peer (see Peer.dataSession). */
export interface BoundSession {
  call<T>(route: string, args: unknown, options?: CallOptions): Promise<T>;
}

export class Peer {
  private online = true;
  private pinger?: NodeJS.Timeout;
  private pinging = false;
  private missedPings = 0;
  private driveStates: Record<number, boolean> = {};
  private readonly target: SessionTarget;
  private readonly sessions: Record<Lane, Promise<RpcConnection> | undefined> = { control: undefined, bulk: undefined };
  /** The peer process's boot id, as its sessions and pings last named it. */
  private receiverBoot = '';
  private offlineReason = '';
  private closed = false;
  /**
   * Told of each call to the peer, for the metrics: how long it took (undefined when it was refused at
   * once, the peer being offline) and whether it failed.
   */
  observeCall?: (seconds: number | undefined, failed: boolean) => void;

  constructor(
    readonly address: string,
    key: Buffer,
    fingerprint: string,
    transport: PeerTransport = peerTransport(),
  ) {
    this.target = { address, transport, signer: new RpcSigner(key, fingerprint), key, fingerprint };
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

  /** Calls `route` with `args`; rejects with DriveError('offline') when the peer is down. */
  call<T>(route: string, args: unknown, options: CallOptions = {}): Promise<T> {
    // Let go of the arguments (shard data, say) once they are encoded, not when the answer comes.
    let unsent: unknown = args;
    return this.watched(async () => {
      const session = await this.session(options.bulk ? 'bulk' : 'control');
      const sending = unsent;
      unsent = undefined;
      return session.call<T>(route, sending, options.timeoutMs ?? CALL_TIMEOUT_MS);
    });
  }

  /**
   * The peer's data session as it is now, for calls that leave state on the node (an open shard
   * reader): that state lives only as long as the session, so every call of a user must go to the
   * session that made it, and fails once that session is gone.
   */
  async dataSession(): Promise<BoundSession> {
    const connection = await this.watched(() => this.session('bulk'));
    const peer = this;
    return {
      async call<T>(route: string, args: unknown, options: CallOptions = {}): Promise<T> {
        // Once the session ended, its calls fail without a word on the peer's health (the next session judges that).
        if (!connection.isOpen()) throw new DriveError('offline', `node ${peer.address}: the session this call belongs to has ended`);
        return peer.watched(() => connection.call<T>(route, args, options.timeoutMs ?? CALL_TIMEOUT_MS));
      },
    };
  }

  /** Runs `work` against the peer, keeping its health state: fails fast while the peer is offline. */
  private async watched<T>(work: () => Promise<T>): Promise<T> {
    if (!this.online) {
      this.observeCall?.(undefined, true);
      throw new DriveError('offline', `node ${this.address} is offline`);
    }
    const started = process.hrtime.bigint();
    let failed = false;
    try {
      return await work();
    } catch (err) {
      failed = isConnectionFailure(err) || isTimeout(err);
      // A refused or reset connection proves the node is gone; a slow answer may be load, which the heartbeat judges.
      if (isConnectionFailure(err) || (isTimeout(err) && ++this.missedPings >= MISSED_PINGS_OFFLINE)) this.markOffline((err as Error).message);
      throw asDriveError(err, this.address);
    } finally {
      this.observeCall?.(Number(process.hrtime.bigint() - started) / 1e9, failed);
    }
  }

  /** One call without health bookkeeping (the heartbeat's own). */
  private async request<T>(route: string, args: unknown, options: CallOptions): Promise<T> {
    return (await this.session('control')).call<T>(route, args, options.timeoutMs ?? CALL_TIMEOUT_MS);
  }

  /** The lane's open session, or a new one (shared by every call that asks while it opens). */
  private session(lane: Lane): Promise<RpcConnection> {
    if (this.closed) return Promise.reject(new DriveError('offline', `node ${this.address}: this node is shutting down`));
    const current = this.sessions[lane];
    if (current) return current;
    const opening = RpcConnection.open(this.target, SESSION_TIMEOUT_MS).then(({ connection, hello }) => {
      this.learnBoot(hello.boot);
      connection.onClose(() => {
        if (this.sessions[lane] === opening) this.sessions[lane] = undefined;
      });
      if (this.closed) connection.close();
      return connection;
    });
    opening.catch(() => {
      if (this.sessions[lane] === opening) this.sessions[lane] = undefined;
    });
    this.sessions[lane] = opening;
    return opening;
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
      if (reason !== this.offlineReason) log.warn(`node ${this.address} is still offline (${reason})`, { peer: this.address });
      this.offlineReason = reason;
      return;
    }
    this.online = false;
    this.offlineReason = reason;
    log.warn(`node ${this.address} is offline (${reason}); probing it in the background`, { peer: this.address });
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
      const answer = await this.request<PingAnswer>('ping', null, { timeoutMs: PING_TIMEOUT_MS });
      this.driveStates = { ...answer.drives };
      this.learnBoot(answer.boot);
      if (!this.online) {
        this.online = true;
        log.info(`node ${this.address} is back online`, { peer: this.address });
      }
      this.missedPings = 0;
    } catch (err) {
      if (isConnectionFailure(err) || (isTimeout(err) && ++this.missedPings >= MISSED_PINGS_OFFLINE)) this.markOffline((err as Error).message);
    } finally {
      this.pinging = false;
    }
  }

  close(): void {
    this.closed = true;
    clearInterval(this.pinger);
    for (const session of Object.values(this.sessions)) void session?.then((connection) => connection.close()).catch(() => undefined);
  }
}
