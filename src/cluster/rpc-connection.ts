/**
 * The caller's end of one node RPC session: a persistent connection to a peer that carries any number
 * of calls at once. Calls made in the same turn of the event loop leave together in one frame; answers
 * come back in any order and are matched by id. The session opens with a signed `CONNECT` (see
 * rpc-auth.ts), after which the peer's first frame names it (node and boot id) under the session key.
 */
import type { Socket } from 'node:net';
import { DriveError } from '../storage/drive.js';
import { REFUSAL_HEADER, RPC_CONNECT_PATH, SESSION_HEADER, sessionHalf, sessionKey, type RpcSigner } from './rpc-auth.js';
import { FrameError, FrameOpener, FrameWriter, MAX_FRAME_BYTES, piecesLength } from './rpc-frames.js';
import { encodeCall, parseAnswers, rpcPackr } from './rpc-messages.js';
import { explainTlsFailure, type PeerTransport } from './transport.js';

/** The peer's first frame: who answered. */
export interface SessionHello {
  node: string;
  /** The answering process's boot id: a new one means the node restarted. */
  boot: string;
}

/** What a refused handshake means, for the operator reading the log. */
const REFUSALS: Record<string, string> = {
  stale: "node RPC refused: timestamp outside the allowed window (are the nodes' clocks in sync?)",
  'other-topology': 'node RPC refused: this node was started with a different endpoint list',
  'other-receiver': 'node RPC refused: the node at this address is another node of the endpoint list',
  replayed: 'node RPC refused: the handshake was seen before',
};
const UNAUTHENTICATED = 'node RPC refused: not authenticated (are all nodes started with the same root credentials?)';

interface PendingCall {
  resolve(value: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

export interface SessionTarget {
  address: string;
  transport: PeerTransport;
  signer: RpcSigner;
  key: Buffer;
  fingerprint: string;
}

function withCode(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

/** The failure of a call that was sent: it may have been carried out though its answer is lost (see DriveError.unanswered). */
export interface LostAnswer extends Error {
  code: string;
  unanswered: true;
}

function lostAnswer(message: string, code: string): LostAnswer {
  return Object.assign(new Error(message), { code, unanswered: true as const });
}

/** Ids wrap long before 2^32; an id is only ever in flight once. */
const MAX_CALL_ID = 0xffff_ffff;

export class RpcConnection {
  private readonly pending = new Map<number, PendingCall>();
  private readonly opener: FrameOpener;
  private readonly writer: FrameWriter;
  private lastId = 0;
  private closedBy?: Error;
  private readonly closeListeners: (() => void)[] = [];
  private helloSeen?: (hello: SessionHello) => void;

  private constructor(
    private readonly socket: Socket,
    key: Buffer,
    private readonly address: string,
  ) {
    this.opener = new FrameOpener(key, 'to-caller');
    this.writer = new FrameWriter(socket, key, 'to-receiver');
    socket.setNoDelay(true);
    socket.setTimeout(0);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (err) => this.close(err));
    socket.on('end', () => this.close(withCode(`node ${address} ended the session`, 'ECONNRESET')));
    socket.on('close', () => this.close(withCode(`connection to node ${address} closed`, 'ECONNRESET')));
  }

  /** Opens a session; resolves once the peer has named itself under the session key. */
  static open(target: SessionTarget, timeoutMs: number): Promise<{ connection: RpcConnection; hello: SessionHello }> {
    const colon = target.address.lastIndexOf(':');
    const half = sessionHalf();
    return new Promise((resolve, reject) => {
      let connection: RpcConnection | undefined;
      const fail = (err: Error): void => {
        clearTimeout(timer);
        connection?.close(err);
        reject(err);
      };
      const timer = setTimeout(() => {
        req.destroy();
        fail(withCode(`no session with node ${target.address} within ${timeoutMs} ms`, 'ETIMEDOUT'));
      }, timeoutMs);
      const req = target.transport.request({
        host: target.address.slice(0, colon),
        port: Number(target.address.slice(colon + 1)),
        method: 'CONNECT',
        path: RPC_CONNECT_PATH,
        headers: target.signer.headers('CONNECT', RPC_CONNECT_PATH, target.address, half),
      });
      req.on('error', (err) => fail(explainTlsFailure(err, target.address)));
      req.on('connect', (res, socket, head) => {
        const theirHalf = res.headers[SESSION_HEADER];
        if (res.statusCode !== 200 || typeof theirHalf !== 'string' || !/^[0-9a-f]{64}$/.test(theirHalf)) {
          socket.destroy();
          const refusal = res.headers[REFUSAL_HEADER];
          const reason = typeof refusal === 'string' ? REFUSALS[refusal] : undefined;
          return fail(new DriveError('refused', `${target.address}: ${res.statusCode === 403 ? (reason ?? UNAUTHENTICATED) : `answered ${res.statusCode} to a session request`}`));
        }
        connection = new RpcConnection(socket, sessionKey(target.key, target.fingerprint, half, theirHalf), target.address);
        const opened = connection;
        opened.helloSeen = (hello) => {
          clearTimeout(timer);
          resolve({ connection: opened, hello });
        };
        opened.onClose(() => fail(opened.closedBy!));
        if (head.length > 0) opened.receive(head);
      });
      req.end();
    });
  }

  isOpen(): boolean {
    return this.closedBy === undefined;
  }

  onClose(listener: () => void): void {
    if (this.closedBy) listener();
    else this.closeListeners.push(listener);
  }

  /** One call; rejects with a DriveError the peer's drive raised, or an Error with code ETIMEDOUT or ECONNRESET. */
  call<T>(route: string, args: unknown, timeoutMs: number): Promise<T> {
    if (this.closedBy) return Promise.reject(this.closedBy);
    const id = (this.lastId = this.lastId >= MAX_CALL_ID ? 1 : this.lastId + 1);
    const message = encodeCall(id, route, args);
    const length = piecesLength(message);
    if (length > MAX_FRAME_BYTES['to-receiver']) return Promise.reject(new DriveError('invalid', `RPC ${route}: ${length} bytes of arguments is over the frame limit`));
    const answered = new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(lostAnswer(`node ${this.address} did not answer ${route} within ${timeoutMs} ms`, 'ETIMEDOUT'));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
    });
    // Sent out here, not from inside the promise: the timer's closure would keep the message (shard
    // data, say) alive until the answer came, long after the socket took it.
    this.writer.send(message);
    return answered;
  }

  private receive(chunk: Buffer): void {
    try {
      for (const payload of this.opener.push(chunk)) {
        if (this.helloSeen) {
          const hello = rpcPackr.unpack(payload) as SessionHello;
          if (typeof hello?.boot !== 'string' || typeof hello.node !== 'string') throw new FrameError('the session did not open with a hello');
          if (hello.node !== this.address) throw new FrameError(`the node at ${this.address} says it is ${hello.node.slice(0, 100)}`);
          const seen = this.helloSeen;
          this.helloSeen = undefined;
          seen(hello);
          continue;
        }
        for (const answer of parseAnswers(payload)) this.settle(answer.id, answer.failed, answer.value);
      }
    } catch (err) {
      this.close(withCode(`session with node ${this.address} broken: ${(err as Error).message}`, 'ECONNRESET'));
    }
  }

  private settle(id: number, failed: boolean, value: Buffer): void {
    const call = this.pending.get(id);
    if (!call) return; // it timed out
    this.pending.delete(id);
    clearTimeout(call.timer);
    const decoded = rpcPackr.unpack(value) as unknown;
    if (!failed) return call.resolve(decoded);
    const e = decoded as { kind?: string; message?: string; unanswered?: boolean };
    call.reject(new DriveError((e?.kind ?? 'faulty') as DriveError['kind'], String(e?.message ?? 'remote failure'), e?.unanswered === true));
  }

  /** Ends the session: every call in flight fails with `reason`. */
  close(reason: Error = withCode(`connection to node ${this.address} closed`, 'ECONNRESET')): void {
    if (this.closedBy) return;
    this.closedBy = reason;
    this.socket.destroy();
    for (const call of this.pending.values()) {
      clearTimeout(call.timer);
      call.reject(lostAnswer(reason.message, (reason as NodeJS.ErrnoException).code ?? 'ECONNRESET'));
    }
    this.pending.clear();
    for (const listener of this.closeListeners.splice(0)) listener();
  }
}
