/**
 * The server side of node RPC: a plain HTTP handler for `/tessera/rpc/v1/...` that runs drive
 * operations on this node's local drives and answers the lock service. Bodies and answers are
 * msgpack; a drive failure travels back as `{ e: { kind, message } }` and is rethrown as a DriveError.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LockTable } from '../lock/lock-table.js';
import { DriveError, type ShardWriter } from '../storage/drive.js';
import type { LocalDrive } from '../storage/local-drive.js';
import { rpcPackr, type PingAnswer } from './peer.js';
import { RPC_PREFIX, verifyRpc } from './rpc-auth.js';

/** Drive methods a peer may call as they are. */
const DRIVE_METHODS = new Set([
  'readFormat', 'writeFormat', 'makeBucket', 'deleteBucket', 'listBuckets', 'statBucket', 'bucketHasObjects',
  'readRecord', 'writeRecord', 'listRecords', 'commitStaged', 'discardStaged', 'deleteDataDir',
  'readUpload', 'writeUpload', 'deleteUpload', 'listUploads', 'commitPart', 'listParts', 'commitUploadData',
  // healing support
  'checkShards', 'commitHealedShards', 'listRecordKeys', 'listDataDirs', 'readSysFile', 'writeSysFile',
]);
const MAX_BODY_BYTES = 64 * 1024 * 1024;
/** A shard writer nobody has touched for this long belongs to a writer that died: drop it. */
const IDLE_WRITER_MS = 10 * 60_000;

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

export interface RpcServerOptions {
  token: Buffer;
  fingerprint: string;
  node: string;
  /** This node's drives by their index in the endpoint list. */
  drives: Map<number, LocalDrive>;
  locks: LockTable;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) req.destroy(new Error('RPC body too large'));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export class RpcServer {
  private readonly writers = new Map<string, OpenWriter>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly options: RpcServerOptions) {
    this.sweeper = setInterval(() => this.dropIdleWriters(), 60_000);
    this.sweeper.unref();
  }

  handles(url: string | undefined): boolean {
    return url?.startsWith(RPC_PREFIX) ?? false;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = req.url ?? '';
    const verdict = verifyRpc(this.options.token, this.options.fingerprint, path, req.headers);
    if (verdict !== 'ok') {
      const message = {
        unauthenticated: 'node RPC refused: wrong or missing token (are all nodes started with the same root credentials?)',
        stale: 'node RPC refused: stale timestamp (are the nodes\' clocks in sync?)',
        'other-topology': `node RPC refused: ${this.options.node} was started with a different endpoint list`,
      }[verdict];
      res.writeHead(verdict === 'other-topology' ? 409 : 403, { 'content-type': 'text/plain' }).end(message);
      req.resume();
      return;
    }
    let answer: unknown;
    try {
      const body = await readBody(req);
      const args = body.length > 0 ? rpcPackr.unpack(body) : null;
      answer = { r: await this.dispatch(path.slice(RPC_PREFIX.length), args) };
    } catch (err) {
      const kind = err instanceof DriveError ? err.kind : 'faulty';
      answer = { e: { kind, message: (err as Error).message } };
    }
    res.writeHead(200, { 'content-type': 'application/msgpack' }).end(rpcPackr.pack(answer));
  }

  private drive(index: string): LocalDrive {
    const drive = this.options.drives.get(Number(index));
    if (!drive) throw new DriveError('not-found', `drive ${index} is not served by ${this.options.node}`);
    return drive;
  }

  private async dispatch(route: string, args: unknown): Promise<unknown> {
    const parts = route.split('/');
    if (route === 'ping') return this.ping();
    if (parts[0] === 'lock') return this.lock(parts[1], args as LockArgs);
    if (parts[0] === 'drive' && parts.length === 3) return this.driveCall(this.drive(parts[1]), parts[1], parts[2], args as unknown[]);
    throw new DriveError('faulty', `unknown RPC ${route}`);
  }

  private ping(): PingAnswer {
    const drives: Record<number, boolean> = {};
    for (const [index, drive] of this.options.drives) drives[index] = drive.isOnline();
    return { node: this.options.node, drives };
  }

  private lock(op: string, a: LockArgs): unknown {
    const table = this.options.locks;
    if (op === 'acquire') return table.acquire(a.name, a.uid, a.write === true, a.ttl ?? 0, a.owner ?? '');
    if (op === 'refresh') return table.refresh(a.name, a.uid, a.ttl ?? 0);
    if (op === 'release') return table.release(a.name, a.uid);
    throw new DriveError('faulty', `unknown lock operation ${op}`);
  }

  private async driveCall(drive: LocalDrive, index: string, method: string, args: unknown[]): Promise<unknown> {
    if (DRIVE_METHODS.has(method)) {
      const fn = (drive as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[method];
      return fn.apply(drive, args);
    }
    const [stagingId, file] = args as [string, string];
    const id = `${index}/${stagingId}/${file}`;
    switch (method) {
      case 'shardCreate': {
        this.writers.set(id, { writer: await drive.createShardWriter(stagingId, file), lastUsed: Date.now() });
        return null;
      }
      case 'shardWrite':
        return this.writer(id).write([args[2] as Buffer]);
      case 'shardFinish': {
        const writer = this.writer(id);
        this.writers.delete(id);
        return writer.finish();
      }
      case 'shardAbort': {
        const open = this.writers.get(id);
        this.writers.delete(id);
        return open?.writer.abort();
      }
      case 'shardStat':
      case 'shardRead': {
        const [bucket, dataDir, name, offset, length] = args as [string, string, string, number, number];
        const reader = await drive.openShard(bucket, dataDir, name);
        try {
          return method === 'shardRead' ? await reader.read(offset, length) : null;
        } finally {
          await reader.close();
        }
      }
      default:
        throw new DriveError('faulty', `unknown drive operation ${method}`);
    }
  }

  private writer(id: string): ShardWriter {
    const open = this.writers.get(id);
    if (!open) throw new DriveError('faulty', `no shard writer ${id} (it timed out or was never opened)`);
    open.lastUsed = Date.now();
    return open.writer;
  }

  private dropIdleWriters(): void {
    const cutoff = Date.now() - IDLE_WRITER_MS;
    for (const [id, open] of this.writers) {
      if (open.lastUsed < cutoff) {
        this.writers.delete(id);
        void open.writer.abort().catch(() => undefined);
      }
    }
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const open of this.writers.values()) void open.writer.abort().catch(() => undefined);
    this.writers.clear();
  }
}

/** The lock service of another node, over RPC. */
export function remoteLockNode(peer: { isOnline(): boolean; call<T>(path: string, args: unknown): Promise<T> }) {
  return {
    isOnline: () => peer.isOnline(),
    acquire: (name: string, uid: string, write: boolean, ttl: number, owner: string) =>
      peer.call<boolean>('lock/acquire', { name, uid, write, ttl, owner }),
    refresh: (name: string, uid: string, ttl: number) => peer.call<boolean>('lock/refresh', { name, uid, ttl }),
    release: (name: string, uid: string) => peer.call<void>('lock/release', { name, uid }),
  };
}
