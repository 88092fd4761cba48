/**
 * The caller's side of node RPC, written from README.md ("Security" → "Node RPC") alone, independently
 * of src/cluster/rpc-*.ts, for test/cluster/rpc-security.test.ts. A change of wire format on one side
 * only must fail that test, so nothing here is imported from the server's code.
 *
 *  - handshake: `CONNECT /tessera/rpc/v7/session` with x-tessera-time, -nonce, -topology, -session and
 *    `authorization: Tessera-HMAC-SHA256 <hex>` over
 *    `TESSERA-RPC-6\nCONNECT\n<path>\n<time>\n<nonce>\n<topology>\n<receiver>\n<session half>`, under the RPC key
 *    HMAC-SHA256(secret key, `tessera-rpc-key-v2\n<access key>`);
 *  - session key: HMAC-SHA256(RPC key, `tessera-rpc-session-v6\n<topology>\n<caller half>\n<receiver half>`);
 *  - frames: `u32 length | payload | 16-byte tag`, the tag ChaCha20-Poly1305's over nothing with the
 *    payload as associated data, nonce `u32 direction | u16 0 | u48 sequence`;
 *  - calls `u32 id | u8 route length | route | u32 args length | msgpack args`, answers
 *    `u32 id | u8 outcome | u32 length | msgpack value`.
 *
 * The raw HTTP is written by hand on a plain or TLS socket, so that a test controls every byte of a
 * handshake (and can send the very same bytes again) and sees exactly when the server closes.
 */
import { createCipheriv, createHmac, randomBytes } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { pack, unpack } from 'msgpackr';

export const SESSION_PATH = '/tessera/rpc/v7/session';
/** The largest payload a frame may carry. */
export const MAX_PAYLOAD = 16 * 1024 * 1024;
/** Answers (frames towards the caller) may be larger: a listing page with inline data. */
const MAX_ANSWER_PAYLOAD = 1024 * 1024 * 1024;
/** Frame directions, the first word of a tag's nonce. */
export const TO_RECEIVER = 1;
export const TO_CALLER = 2;

/** Where to connect: a node's port, and the CA to trust when it serves https. */
export interface Target {
  port: number;
  ca?: string;
}

const hmac = (key: Buffer | string, text: string): Buffer => createHmac('sha256', key).update(text).digest();

/** The RPC key every node derives from the root credentials. */
export function rpcKey(accessKey: string, secretKey: string): Buffer {
  return hmac(secretKey, `tessera-rpc-key-v2\n${accessKey}`);
}

export function sessionKey(key: Buffer, topology: string, callerHalf: string, receiverHalf: string): Buffer {
  return hmac(key, `tessera-rpc-session-v6\n${topology}\n${callerHalf}\n${receiverHalf}`);
}

// ---------------------------------------------------------------------------------------------
// Handshakes

/** The signed fields of a handshake. */
export interface HandshakeFields {
  time: string;
  nonce: string;
  topology: string;
  /** The node the handshake is meant for, host:port as the endpoint list names it. */
  receiver: string;
  /** The caller's half of the session secret, 64 hex digits. */
  session: string;
}

/** Signs handshakes like a node: one sender id, a counter per handshake. */
export class Signer {
  readonly sender = randomBytes(16).toString('hex');
  private counter = 0;

  constructor(
    readonly key: Buffer,
    readonly topology: string,
    /** The node handshakes are meant for unless a call says otherwise. */
    public receiver = '',
  ) {}

  /** Fresh fields: now, the next nonce, this signer's topology and receiver, a new random half. */
  fields(options: { time?: number; topology?: string; receiver?: string } = {}): HandshakeFields {
    return {
      time: String(options.time ?? Date.now()),
      nonce: `${this.sender}.${++this.counter}`,
      topology: options.topology ?? this.topology,
      receiver: options.receiver ?? this.receiver,
      session: randomBytes(32).toString('hex'),
    };
  }

  /** The hex HMAC of `fields` for a CONNECT to `path`. */
  mac(fields: HandshakeFields, path = SESSION_PATH): string {
    return hmac(this.key, `TESSERA-RPC-6\nCONNECT\n${path}\n${fields.time}\n${fields.nonce}\n${fields.topology}\n${fields.receiver}\n${fields.session}`).toString('hex');
  }

  /** The headers of a handshake with `fields`, signed for `path` (by default the one it is sent to). */
  headers(fields: HandshakeFields, path = SESSION_PATH): Record<string, string> {
    return {
      'x-tessera-time': fields.time,
      'x-tessera-nonce': fields.nonce,
      'x-tessera-topology': fields.topology,
      'x-tessera-receiver': fields.receiver,
      'x-tessera-session': fields.session,
      authorization: `Tessera-HMAC-SHA256 ${this.mac(fields, path)}`,
    };
  }
}

/** The exact bytes of a CONNECT request (header names as given, a Host header first). */
export function connectRequest(target: Target, path: string, headers: Record<string, string>): Buffer {
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  return Buffer.from(`CONNECT ${path} HTTP/1.1\r\nhost: 127.0.0.1:${target.port}\r\n${lines}\r\n`);
}

// ---------------------------------------------------------------------------------------------
// A socket read as a byte stream with time limits

/** A plain or TLS connection whose received bytes are read on demand; never rejects on I/O errors. */
export class Wire {
  private buffered = Buffer.alloc(0);
  private closedFlag = false;
  private waiters: (() => void)[] = [];

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      this.wake();
    });
    // The server ending its side is what the tests wait for; a reset while writing counts the same.
    const close = (): void => {
      this.closedFlag = true;
      this.wake();
    };
    socket.on('end', close);
    socket.on('close', close);
    socket.on('error', close);
  }

  static open(target: Target, timeoutMs = 20_000): Promise<Wire> {
    return new Promise((resolve, reject) => {
      const socket = target.ca
        ? tls.connect({ host: '127.0.0.1', port: target.port, ca: target.ca })
        : net.connect({ host: '127.0.0.1', port: target.port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`no connection to port ${target.port} within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once(target.ca ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        resolve(new Wire(socket));
      });
      const onError = (err: Error): void => {
        clearTimeout(timer);
        reject(err);
      };
      socket.once('error', onError);
    });
  }

  /** The server ended the connection (or it broke). */
  get closed(): boolean {
    return this.closedFlag;
  }

  write(bytes: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(bytes, () => undefined);
  }

  destroy(): void {
    this.socket.destroy();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Waits until `take` finds what it wants in the buffer (it returns undefined while it does not). */
  private async until<T>(take: () => T | undefined, timeoutMs: number): Promise<T | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const got = take();
      if (got !== undefined) return got;
      if (this.closedFlag || Date.now() >= deadline) return undefined;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Takes exactly `n` bytes; undefined if the connection closed (or time ran out) first. */
  take(n: number, timeoutMs: number): Promise<Buffer | undefined> {
    return this.until(() => {
      if (this.buffered.length < n) return undefined;
      const out = this.buffered.subarray(0, n);
      this.buffered = this.buffered.subarray(n);
      return out;
    }, timeoutMs);
  }

  /** Takes bytes up to and including `marker`. */
  takeThrough(marker: string, timeoutMs: number): Promise<Buffer | undefined> {
    return this.until(() => {
      const at = this.buffered.indexOf(marker);
      if (at < 0) return undefined;
      const out = this.buffered.subarray(0, at + marker.length);
      this.buffered = this.buffered.subarray(at + marker.length);
      return out;
    }, timeoutMs);
  }

  /** True once the server has closed the connection, false if it is still open after `timeoutMs`. */
  async waitClosed(timeoutMs = 20_000): Promise<boolean> {
    await this.until(() => (this.closedFlag ? true : undefined), timeoutMs);
    return this.closedFlag;
  }
}

// ---------------------------------------------------------------------------------------------
// Handshake answers

export interface HandshakeAnswer {
  /** 0 when the server closed the connection without an answer. */
  status: number;
  headers: Record<string, string>;
  body: string;
  /** After a refusal: the server closed the connection (within 20 s). */
  closed: boolean;
  /** The connection, positioned after the answer's head (and body, for a refusal). */
  wire: Wire;
}

/**
 * Sends `request` (the bytes of a CONNECT) on a new connection and reads the answer's head. A function
 * is called once the connection (and TLS) is up, so that the time it signs is as fresh as can be.
 */
export async function handshake(target: Target, request: Buffer | (() => Buffer), timeoutMs = 20_000): Promise<HandshakeAnswer> {
  const wire = await Wire.open(target);
  wire.write(typeof request === 'function' ? request() : request);
  const head = await wire.takeThrough('\r\n\r\n', timeoutMs);
  if (!head) {
    const closed = await wire.waitClosed(1);
    if (!closed) {
      wire.destroy();
      throw new Error(`no answer to the handshake within ${timeoutMs} ms, and the connection is still open`);
    }
    return { status: 0, headers: {}, body: '', closed, wire };
  }
  const [statusLine, ...lines] = head.toString('latin1').slice(0, -4).split('\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1] ?? -1);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  if (status === 200) return { status, headers, body: '', closed: false, wire };
  const length = Number(headers['content-length'] ?? 0);
  const body = (await wire.take(length, timeoutMs))?.toString() ?? '';
  const closed = await wire.waitClosed(timeoutMs);
  wire.destroy();
  return { status, headers, body, closed, wire };
}

// ---------------------------------------------------------------------------------------------
// Frames

function nonceOf(direction: number, sequence: number): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeUInt32BE(direction, 0);
  nonce.writeUInt16BE(0, 4);
  nonce.writeUIntBE(sequence, 6, 6);
  return nonce;
}

/** ChaCha20-Poly1305's tag with nothing encrypted and `payload` as associated data. */
export function frameTag(key: Buffer, direction: number, sequence: number, payload: Buffer): Buffer {
  const cipher = createCipheriv('chacha20-poly1305', key, nonceOf(direction, sequence), { authTagLength: 16 });
  cipher.setAAD(payload, { plaintextLength: 0 });
  cipher.final();
  return cipher.getAuthTag();
}

/** A whole frame: length, payload, tag. */
export function sealFrame(key: Buffer, direction: number, sequence: number, payload: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(payload.length);
  return Buffer.concat([length, payload, frameTag(key, direction, sequence, payload)]);
}

/** A frame as received: its payload, its tag, and all its bytes (to send again). */
export interface RawFrame {
  payload: Buffer;
  tag: Buffer;
  bytes: Buffer;
}

/** The next whole frame on `wire`; undefined if the connection closed (or time ran out) first. */
export async function readFrame(wire: Wire, timeoutMs: number): Promise<RawFrame | undefined> {
  const head = await wire.take(4, timeoutMs);
  if (!head) return undefined;
  const length = head.readUInt32BE(0);
  if (length > MAX_ANSWER_PAYLOAD) throw new Error(`the server sent a frame of ${length} bytes (over 1 GiB)`);
  const rest = await wire.take(length + 16, timeoutMs);
  if (!rest) throw new Error(`the connection ended inside a frame of ${length} bytes`);
  return { payload: rest.subarray(0, length), tag: rest.subarray(length), bytes: Buffer.concat([head, rest]) };
}

// ---------------------------------------------------------------------------------------------
// Calls and answers

/** A call as it travels: `args` are the msgpack bytes (or anything else a test wants to send). */
export interface Call {
  id: number;
  route: string;
  args: Buffer;
}

export interface Answer {
  id: number;
  /** 0: a result, 1: an error. */
  outcome: number;
  value: unknown;
}

export interface RpcError {
  kind: string;
  message: string;
}

export function encodeCalls(calls: Call[]): Buffer {
  return Buffer.concat(
    calls.flatMap(({ id, route, args }) => {
      const routeBytes = Buffer.from(route);
      if (routeBytes.length > 255) throw new Error(`route of ${routeBytes.length} bytes`);
      const head = Buffer.alloc(5);
      head.writeUInt32BE(id, 0);
      head.writeUInt8(routeBytes.length, 4);
      const argsLength = Buffer.alloc(4);
      argsLength.writeUInt32BE(args.length);
      return [head, routeBytes, argsLength, args];
    }),
  );
}

/** Every answer in a payload; throws if the payload is not a list of answers. */
export function decodeAnswers(payload: Buffer): Answer[] {
  const answers: Answer[] = [];
  let at = 0;
  while (at < payload.length) {
    if (at + 9 > payload.length) throw new Error(`an answer cut short at byte ${at} of ${payload.length}`);
    const id = payload.readUInt32BE(at);
    const outcome = payload.readUInt8(at + 4);
    const length = payload.readUInt32BE(at + 5);
    at += 9;
    if (outcome > 1) throw new Error(`answer ${id}: outcome ${outcome}`);
    if (at + length > payload.length) throw new Error(`answer ${id}: value of ${length} bytes past the payload's end`);
    answers.push({ id, outcome, value: unpack(payload.subarray(at, at + length)) });
    at += length;
  }
  return answers;
}

/** The error of an answer (undefined for a result). */
export function errorOf(answer: Answer | undefined): RpcError | undefined {
  return answer?.outcome === 1 ? (answer.value as RpcError) : undefined;
}

// ---------------------------------------------------------------------------------------------
// A caller's session

export interface Hello {
  node: string;
  boot: string;
}

/** A call before it has an id: msgpack-packed `args` unless given as raw bytes. */
export interface CallSpec {
  route: string;
  args?: unknown;
  raw?: Buffer;
}

/** An open session: the handshake that opened it, its key, the frame counters both ways. */
export class CallerSession {
  /** Sequence numbers of the last frame sent and received. */
  sent = 0;
  received = 0;
  /** The last frame received, as it came (e.g. to send it back). */
  lastFrame?: RawFrame;
  private nextId = 1;

  constructor(
    readonly wire: Wire,
    readonly key: Buffer,
    /** The bytes of the handshake that opened this session. */
    readonly request: Buffer,
    readonly fields: HandshakeFields,
    readonly receiverHalf: string,
  ) {}

  /**
   * Opens a session (throws unless the handshake is answered 200 with a receiver half). The hello is
   * not read: call `hello()`.
   */
  static async open(target: Target, signer: Signer, fields = signer.fields()): Promise<CallerSession> {
    const request = connectRequest(target, SESSION_PATH, signer.headers(fields));
    const answer = await handshake(target, request);
    if (answer.status !== 200) throw new Error(`handshake answered ${answer.status}: ${answer.body}`);
    const half = answer.headers['x-tessera-session'] ?? '';
    if (!/^[0-9a-f]{64}$/.test(half)) throw new Error(`handshake answered without a receiver half (${JSON.stringify(half)})`);
    return new CallerSession(answer.wire, sessionKey(signer.key, fields.topology, fields.session, half), request, fields, half);
  }

  /** The next frame from the receiver, its tag checked; undefined if the connection closed first. */
  async receive(timeoutMs = 30_000): Promise<Buffer | undefined> {
    const frame = await readFrame(this.wire, timeoutMs);
    if (!frame) return undefined;
    this.lastFrame = frame;
    const expected = frameTag(this.key, TO_CALLER, this.received + 1, frame.payload);
    if (!expected.equals(frame.tag)) throw new Error(`frame ${this.received + 1} from the receiver fails its tag`);
    this.received++;
    return frame.payload;
  }

  /** The receiver's first frame. */
  async hello(timeoutMs = 30_000): Promise<Hello> {
    const payload = await this.receive(timeoutMs);
    if (!payload) throw new Error('the session closed before its hello');
    return unpack(payload) as Hello;
  }

  /** Calls with fresh ids. */
  calls(specs: CallSpec[]): Call[] {
    return specs.map((s) => ({ id: this.nextId++, route: s.route, args: s.raw ?? pack(s.args) }));
  }

  /** The next frame this caller would send with `payload` (the counter advances only if `advance`). */
  seal(payload: Buffer, advance = true): Buffer {
    const frame = sealFrame(this.key, TO_RECEIVER, this.sent + 1, payload);
    if (advance) this.sent++;
    return frame;
  }

  /** Sends `calls` in one frame; returns the frame's bytes. */
  send(calls: Call[]): Buffer {
    const frame = this.seal(encodeCalls(calls));
    this.wire.write(frame);
    return frame;
  }

  /** Reads answers until every id in `ids` is answered (throws if the session ends first). */
  async answers(ids: number[], timeoutMs = 60_000): Promise<Map<number, Answer>> {
    const waiting = new Set(ids);
    const got = new Map<number, Answer>();
    const deadline = Date.now() + timeoutMs;
    while (waiting.size > 0) {
      const payload = await this.receive(Math.max(1, deadline - Date.now()));
      if (!payload) throw new Error(`the session ended (or fell silent) with ${waiting.size} of ${ids.length} calls unanswered`);
      for (const answer of decodeAnswers(payload)) {
        if (!waiting.delete(answer.id)) throw new Error(`an answer to id ${answer.id}, which is not awaited`);
        got.set(answer.id, answer);
      }
    }
    return got;
  }

  /** Sends `specs` in one frame and waits for their answers, in the order of `specs`. */
  async call(specs: CallSpec[], timeoutMs?: number): Promise<Answer[]> {
    const calls = this.calls(specs);
    this.send(calls);
    const got = await this.answers(calls.map((c) => c.id), timeoutMs);
    return calls.map((c) => got.get(c.id)!);
  }

  /**
   * After a frame that must end the session: every answer that still arrives before the server
   * closes, and whether it closed within `timeoutMs`.
   */
  async drain(timeoutMs = 20_000): Promise<{ answers: Answer[]; closed: boolean }> {
    const answers: Answer[] = [];
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const payload = await this.receive(Math.max(1, deadline - Date.now()));
      if (!payload) break;
      answers.push(...decodeAnswers(payload));
    }
    return { answers, closed: await this.wire.waitClosed(1) };
  }

  close(): void {
    this.wire.destroy();
  }
}
