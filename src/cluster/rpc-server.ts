/**
 * The server side of node RPC: accepts sessions (a signed `CONNECT` on the S3 port, see rpc-auth.ts),
 * runs drive operations on this node's local drives and answers the lock service. Arguments and
 * answers are msgpack; a drive failure travels back as `{ kind, message, unanswered }`, rethrown as a
 * DriveError. Only served when the deployment has other nodes. A handshake is authenticated before a
 * session exists; a refused one is answered 403 and its connection closed.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { LockTable } from '../lock/lock-table.js';
import { DriveError, type ShardWriter } from '../storage/drive.js';
import type { LocalDrive } from '../storage/local-drive.js';
import { checkInteger, checkName } from '../storage/names.js';
import type { Listener } from './listener.js';
import type { PingAnswer } from './peer.js';
import { REFUSAL_HEADER, RPC_CONNECT_PATH, RpcVerifier, SESSION_HEADER, sessionHalf, sessionKey } from './rpc-auth.js';
import { ReceiverSession } from './rpc-session.js';
import { SessionReaders } from './session-readers.js';
import { log } from '../log.js';

/** Drive methods a peer may call as they are. */
const DRIVE_METHODS = new Set([
  'readFormat', 'writeFormat', 'makeBucket', 'deleteBucket', 'listBuckets', 'statBucket', 'bucketHasObjects', 'readBucketConfig', 'writeBucketConfig',
  'readStoredRecord', 'writeRecord', 'commitVersion', 'settleCommit', 'listRecords', 'discardStaged', 'deleteDataDir',
  'readUpload', 'writeUpload', 'deleteUpload', 'listUploads', 'commitPart', 'listParts', 'restoreUploadData',
  // healing support
  'checkShards', 'commitHealedShards', 'listRecordKeys', 'listDataDirs', 'readSysFile', 'writeSysFile',
  // capacity (Veeam's capacity.xml)
  'spaceInfo',
]);
/**
 * Argument limits per method. msgpack can expand a lot in memory (an empty map is one byte on the wire),
 * so only the calls that carry shard bytes or whole records get more than a small allowance.
 */
const MAX_ARGS_BYTES = 1024 * 1024;
const MAX_ARGS_BYTES_OF: Record<string, number> = { shardWrite: 4 * 1024 * 1024, writeRecord: 4 * 1024 * 1024, commitVersion: 4 * 1024 * 1024, writeUpload: 4 * 1024 * 1024 };
/** The most pieces one shard write's data may come in. */
const MAX_SHARD_DATA_PIECES = 16;
/** The most a peer may read from a shard file in one call. */
const MAX_REMOTE_SHARD_READ = 8 * 1024 * 1024;
/** Shard files open for writing at once on behalf of peers (each holds a file descriptor). */
const MAX_OPEN_WRITERS = 4096;
/** A shard writer or reader nobody has touched for this long belongs to a caller that died: drop it. */
const IDLE_SHARD_FILE_MS = 10 * 60_000;

interface LockArgs {
  name: string;
  uid: string;
  write?: boolean;
  ttl?: number;
  owner?: string;
}

interface OpenWriter {
  writer: ShardWriter;
  lastUsed: number;
}

export type NoticeHandler = (payload: unknown) => Promise<void>;
/** Answers a peer's question (see RpcServer.onQuery); the answer travels back as msgpack. */
export type QueryHandler = (payload: unknown) => Promise<unknown>;

export interface RpcServerOptions {
  key: Buffer;
  fingerprint: string;
  node: string;
  /** This node's drives by their index in the endpoint list. */
  drives: Map<number, LocalDrive>;
  locks: LockTable;
}

const REFUSALS: Record<string, string> = {
  unauthenticated: 'node RPC refused: not authenticated',
  stale: 'node RPC refused: timestamp outside the allowed window',
  'other-topology': 'node RPC refused: the caller was started with a different endpoint list',
  'other-receiver': 'node RPC refused: the handshake was meant for another node',
  replayed: 'node RPC refused: this handshake was seen before',
};

/** Answers a handshake that opens no session, and closes the connection. */
function refuse(socket: Socket, status: string, message: string, headers: Record<string, string> = {}): void {
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  const body = Buffer.from(message);
  socket.end(`HTTP/1.1 ${status}\r\ncontent-type: text/plain\r\ncontent-length: ${body.length}\r\n${lines}connection: close\r\n\r\n${message}`);
  socket.setTimeout(1_000, () => socket.destroy());
}

/** A drive's index as the endpoint list numbers it, written one way only (so one drive has one name). */
function driveIndex(text: string): number {
  if (!/^(0|[1-9]\d{0,5})$/.test(text)) throw new DriveError('invalid', 'invalid drive index');
  return Number(text);
}

/** A shard write's data: bytes, or the few pieces a block is framed in (sent as they are, not joined). */
function shardData(data: unknown): Buffer[] {
  if (Buffer.isBuffer(data)) return [data];
  if (Array.isArray(data) && data.length <= MAX_SHARD_DATA_PIECES && data.every((piece) => Buffer.isBuffer(piece))) return data as Buffer[];
  throw new DriveError('invalid', 'shard data must be bytes');
}

export class RpcServer {
  private readonly writers = new Map<string, OpenWriter>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly verifier: RpcVerifier;
  /** Open sessions, each with the shard readers it opened. */
  private readonly sessions = new Map<ReceiverSession, SessionReaders>();
  private readonly notices = new Map<string, NoticeHandler>();
  private readonly queries = new Map<string, QueryHandler>();
  /** This process: a peer that sees another boot id in a session's hello knows this node restarted. */
  readonly boot = randomBytes(16).toString('hex');

  constructor(private readonly options: RpcServerOptions) {
    this.verifier = new RpcVerifier(options.key, options.fingerprint, options.node);
    this.sweeper = setInterval(() => this.dropIdleShardFiles(), 60_000);
    this.sweeper.unref();
  }

  /** Serves sessions on `listener` (its `CONNECT` requests; S3 never uses that method). */
  attach(listener: Listener): void {
    listener.on('connect', (req: IncomingMessage, socket: Socket, head: Buffer) => this.accept(req, socket, head));
  }

  /** Never throws: whatever goes wrong ends the connection, never the process. */
  accept(req: IncomingMessage, socket: Socket, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    if (req.url !== RPC_CONNECT_PATH) return refuse(socket, '405 Method Not Allowed', 'CONNECT is only used by node RPC');
    const verdict = this.verifier.verify('CONNECT', req.url, req.headers);
    if (!verdict.ok) {
      // Only a caller that holds the key learns why; anyone else gets the generic answer.
      const told: Record<string, string> = verdict.refusal === 'unauthenticated' ? {} : { [REFUSAL_HEADER]: verdict.refusal };
      return refuse(socket, '403 Forbidden', REFUSALS[verdict.refusal], told);
    }
    const half = sessionHalf();
    socket.write(`HTTP/1.1 200 Session opened\r\n${SESSION_HEADER}: ${half}\r\n\r\n`);
    const key = sessionKey(this.options.key, this.options.fingerprint, verdict.half, half);
    const readers = new SessionReaders();
    const handler = { argsLimit: (route: string) => MAX_ARGS_BYTES_OF[route.slice(route.lastIndexOf('/') + 1)] ?? MAX_ARGS_BYTES, dispatch: (route: string, args: unknown) => this.dispatch(route, args, readers) };
    const session = new ReceiverSession(socket, key, { node: this.options.node, boot: this.boot }, handler, (line) => log.warn(line));
    this.sessions.set(session, readers);
    socket.once('close', () => {
      this.sessions.delete(session);
      readers.end();
    });
    if (head.length > 0) session.receive(head);
  }

  private drive(index: string): LocalDrive {
    const drive = this.options.drives.get(driveIndex(index));
    if (!drive) throw new DriveError('not-found', `drive ${index} is not served by ${this.options.node}`);
    return drive;
  }

  /**
   * Serves `notice/<topic>` calls with `handler`: how a layer above this one (IAM) hears of a change
   * another node made. The handler validates its payload, which comes from the network.
   */
  onNotice(topic: string, handler: NoticeHandler): void {
    this.notices.set(topic, handler);
  }

  /**
   * Serves `query/<topic>` calls with `handler`: how a layer above this one (the admin API) asks every
   * node for its share of an answer (its traced requests, its locks). The handler validates its payload.
   */
  onQuery(topic: string, handler: QueryHandler): void {
    this.queries.set(topic, handler);
  }

  private async dispatch(route: string, args: unknown, readers: SessionReaders): Promise<unknown> {
    const parts = route.split('/');
    if (route === 'ping') return this.ping();
    if (parts[0] === 'notice' && parts.length === 2) {
      const handler = this.notices.get(parts[1]);
      if (!handler) throw new DriveError('invalid', `unknown notice ${parts[1].slice(0, 60)}`);
      await handler(args);
      return null;
    }
    if (parts[0] === 'query' && parts.length === 2) {
      const handler = this.queries.get(parts[1]);
      if (!handler) throw new DriveError('invalid', `unknown query ${parts[1].slice(0, 60)}`);
      return handler(args);
    }
    if (parts[0] === 'lock' && parts.length === 2) return this.lock(parts[1], checkLockArgs(args));
    if (parts[0] === 'drive' && parts.length === 3) {
      if (!Array.isArray(args)) throw new DriveError('invalid', 'drive call arguments must be a list');
      return this.driveCall(this.drive(parts[1]), parts[1], parts[2], args, readers);
    }
    throw new DriveError('invalid', `unknown RPC ${route.slice(0, 60)}`);
  }

  private ping(): PingAnswer {
    const drives: Record<number, boolean> = {};
    for (const [index, drive] of this.options.drives) drives[index] = drive.isOnline();
    return { node: this.options.node, boot: this.boot, drives };
  }

  private lock(op: string, a: LockArgs): unknown {
    const table = this.options.locks;
    if (op === 'acquire') return table.acquire(a.name, a.uid, a.write === true, a.ttl ?? 0, a.owner ?? '');
    if (op === 'refresh') return table.refresh(a.name, a.uid, a.ttl ?? 0);
    if (op === 'release') return table.release(a.name, a.uid);
    throw new DriveError('invalid', `unknown lock operation ${op.slice(0, 60)}`);
  }

  private async driveCall(drive: LocalDrive, index: string, method: string, args: unknown[], readers: SessionReaders): Promise<unknown> {
    if (DRIVE_METHODS.has(method)) {
      const fn = (drive as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[method];
      return fn.apply(drive, args);
    }
    switch (method) {
      case 'shardCreate': {
        const id = writerId(index, args);
        await this.writers.get(id)?.writer.abort().catch(() => undefined);
        this.writers.delete(id);
        if (this.writers.size >= MAX_OPEN_WRITERS) throw new DriveError('faulty', `too many shard files open for peers (${MAX_OPEN_WRITERS})`);
        this.writers.set(id, { writer: await drive.createShardWriter(args[0] as string, args[1] as string), lastUsed: Date.now() });
        return null;
      }
      case 'shardWrite': {
        const data = shardData(args[2]);
        return this.writer(writerId(index, args)).write(data);
      }
      case 'shardFinish': {
        const id = writerId(index, args);
        const writer = this.writer(id);
        this.writers.delete(id);
        return writer.finish();
      }
      case 'shardAbort': {
        const id = writerId(index, args);
        const open = this.writers.get(id);
        this.writers.delete(id);
        return open?.writer.abort();
      }
      case 'shardOpen':
        return readers.add(await drive.openShard(args[0] as string, args[1] as string, args[2] as string));
      case 'shardRead':
        // A peer reads one framed block at a time: far less than a drive lets a local reader ask for.
        checkInteger('shard read length', args[2], 0, MAX_REMOTE_SHARD_READ);
        return readers.get(args[0]).read(args[1] as number, args[2] as number);
      case 'shardClose':
        return readers.close(args[0]);
      default:
        throw new DriveError('invalid', `unknown drive operation ${method.slice(0, 60)}`);
    }
  }

  private writer(id: string): ShardWriter {
    const open = this.writers.get(id);
    if (!open) throw new DriveError('faulty', `no shard writer ${id} (it timed out or was never opened)`);
    open.lastUsed = Date.now();
    return open.writer;
  }

  private dropIdleShardFiles(): void {
    const cutoff = Date.now() - IDLE_SHARD_FILE_MS;
    for (const readers of this.sessions.values()) readers.closeIdle(cutoff);
    for (const [id, open] of this.writers) {
      if (open.lastUsed < cutoff) {
        this.writers.delete(id);
        void open.writer.abort().catch(() => undefined);
      }
    }
  }

  /**
   * For a node shutting down (its listener no longer accepts connections): every session ends as soon
   * as no call of it is running, so the listener can close while peers see a node that left.
   */
  drain(): void {
    for (const session of this.sessions.keys()) session.drain();
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const session of this.sessions.keys()) session.end();
    for (const open of this.writers.values()) void open.writer.abort().catch(() => undefined);
    this.writers.clear();
  }
}

/** Open shard writers are known by drive, staging id and file, each checked as a drive checks them. */
function writerId(index: string, args: unknown[]): string {
  const [stagingId, file] = args;
  checkName('staging id', stagingId);
  checkName('shard file', file);
  return `${index}/${stagingId}/${file}`;
}

const MAX_LOCK_NAME = 4096;
const MAX_LOCK_TTL_MS = 5 * 60_000;

/** Lock calls come from peers: bounded strings, a bounded lease. */
function checkLockArgs(args: unknown): LockArgs {
  const a = args as LockArgs;
  const ok =
    typeof a === 'object' && a !== null &&
    typeof a.name === 'string' && a.name.length <= MAX_LOCK_NAME &&
    typeof a.uid === 'string' && a.uid.length <= 64 &&
    (a.ttl === undefined || (Number.isInteger(a.ttl) && a.ttl >= 0 && a.ttl <= MAX_LOCK_TTL_MS)) &&
    (a.owner === undefined || (typeof a.owner === 'string' && a.owner.length <= 300)) &&
    (a.write === undefined || typeof a.write === 'boolean');
  if (!ok) throw new DriveError('invalid', 'invalid lock arguments');
  return a;
}

/** The lock service of another node, over RPC. */
export function remoteLockNode(peer: { isOnline(): boolean; call<T>(path: string, args: unknown): Promise<T> }) {
  return {
    isOnline: () => peer.isOnline(),
    acquire: (name: string, uid: string, write: boolean, ttl: number, owner: string) =>
      peer.call<number>('lock/acquire', { name, uid, write, ttl, owner }),
    refresh: (name: string, uid: string, ttl: number) => peer.call<boolean>('lock/refresh', { name, uid, ttl }),
    release: (name: string, uid: string) => peer.call<void>('lock/release', { name, uid }),
  };
}
