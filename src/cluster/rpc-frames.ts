/**
 * The frames of a node RPC session: `u32 length | payload | 16-byte tag`. The tag is a Poly1305 MAC
 * of the payload (ChaCha20-Poly1305 with the payload as associated data and nothing encrypted) under
 * the session key, with a nonce made of the direction and the frame's sequence number. Neither is sent:
 * each side counts, so a frame replayed, dropped, reordered or sent back the other way fails its tag,
 * and the session ends. Poly1305 runs at several GB/s where HMAC-SHA256 runs at about one, and shard
 * data crosses here. Confidentiality is TLS's job when the deployment has certificates.
 */
import { createCipheriv, type CipherGCM } from 'node:crypto';
import type { Socket } from 'node:net';

const TAG_BYTES = 16;
const HEADER_BYTES = 4;
/** Which way a frame travels: part of its nonce, so a frame cannot be reflected to its sender. */
export type Direction = 'to-receiver' | 'to-caller';

/**
 * The largest payload either way. Calls are small (their arguments are limited per method, a shard
 * block at most); an answer may carry a listing page of records with their inline data, which can
 * reach tens of MiB, from a peer the session has authenticated.
 */
export const MAX_FRAME_BYTES: Record<Direction, number> = { 'to-receiver': 16 * 1024 * 1024, 'to-caller': 1024 * 1024 * 1024 };
/** Messages are batched into frames of about this much: a receiver uses none of a frame before all of it is in. */
const BATCH_BYTES = 4 * 1024 * 1024;
/** A frame smaller than this is joined into one buffer before it is written: copying it costs less than many small writes. */
const JOIN_BELOW_BYTES = 64 * 1024;

export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

/** A payload (or a message) as the buffers it was built from, in order: sent as they are, never joined. */
export type Pieces = readonly Buffer[];

export function piecesLength(pieces: Pieces): number {
  let length = 0;
  for (const piece of pieces) length += piece.length;
  return length;
}

function tag(key: Buffer, direction: Direction, sequence: number, payload: Pieces): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeUInt32BE(direction === 'to-receiver' ? 1 : 2, 0);
  nonce.writeUIntBE(sequence, 6, 6);
  // Node's typings know ChaCha20-Poly1305 only under the CCM overload; it is used as GCM is.
  const mac = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_BYTES }) as unknown as CipherGCM;
  // The associated data may come in pieces: Poly1305 pads it once, after the last.
  for (const piece of payload) mac.setAAD(piece);
  mac.final();
  return mac.getAuthTag();
}

/** Seals the frames one side sends. */
export class FrameSealer {
  private sequence = 0;

  constructor(
    private readonly key: Buffer,
    private readonly direction: Direction,
  ) {}

  /** The frame's pieces (header, the payload's pieces, tag), to be written in order. */
  seal(payload: Pieces, length = piecesLength(payload)): Buffer[] {
    const limit = MAX_FRAME_BYTES[this.direction];
    if (length > limit) throw new FrameError(`frame of ${length} bytes is over the limit of ${limit}`);
    const header = Buffer.alloc(HEADER_BYTES);
    header.writeUInt32BE(length, 0);
    return [header, ...payload, tag(this.key, this.direction, ++this.sequence, payload)];
  }
}

/** Cuts the byte stream one side receives into frames and checks each one's tag before it is used. */
export class FrameOpener {
  private sequence = 0;
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(
    private readonly key: Buffer,
    private readonly direction: Direction,
  ) {}

  /** The payloads completed by `chunk`, each authenticated. Throws FrameError at the first bad frame. */
  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const payloads: Buffer[] = [];
    while (this.buffered >= HEADER_BYTES) {
      const head = this.peek(HEADER_BYTES);
      const length = head.readUInt32BE(0);
      if (length > MAX_FRAME_BYTES[this.direction]) throw new FrameError(`frame of ${length} bytes announced, over the limit of ${MAX_FRAME_BYTES[this.direction]}`);
      if (this.buffered < HEADER_BYTES + length + TAG_BYTES) break;
      const frame = this.take(HEADER_BYTES + length + TAG_BYTES);
      const payload = frame.subarray(HEADER_BYTES, HEADER_BYTES + length);
      const expected = tag(this.key, this.direction, ++this.sequence, [payload]);
      if (!expected.equals(frame.subarray(HEADER_BYTES + length))) throw new FrameError('frame failed authentication');
      payloads.push(payload);
    }
    return payloads;
  }

  private peek(bytes: number): Buffer {
    if (this.chunks[0].length < bytes) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0];
  }

  private take(bytes: number): Buffer {
    const joined = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    const frame = joined.subarray(0, bytes);
    const rest = joined.subarray(bytes);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return frame;
  }
}

/**
 * Writes one side's messages to its socket: the messages sent in one turn of the event loop leave
 * together, as one frame (or more, when they pass the frame limit).
 */
export class FrameWriter {
  private readonly sealer: FrameSealer;
  private queued: Buffer[] = [];
  private queuedBytes = 0;
  private flushScheduled = false;

  /** `onFlushed`: called after each frame is handed to the socket. */
  constructor(
    private readonly socket: Socket,
    key: Buffer,
    direction: Direction,
    private readonly onFlushed: () => void = () => undefined,
  ) {
    this.sealer = new FrameSealer(key, direction);
  }

  /** Bytes queued and not yet handed to the socket. */
  get pendingBytes(): number {
    return this.queuedBytes;
  }

  /** Queues a message (which must fit in a frame) for the end of this turn. */
  send(message: Pieces): void {
    const length = piecesLength(message);
    if (this.queuedBytes > 0 && this.queuedBytes + length > BATCH_BYTES) this.flush();
    this.queued.push(...message);
    this.queuedBytes += length;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Writes what is queued now, as one frame: a large one's pieces go to the socket as they are (one writev), not joined first. */
  flush(): void {
    this.flushScheduled = false;
    if (this.queued.length === 0 || this.socket.destroyed) return;
    const length = this.queuedBytes;
    const payload = length < JOIN_BELOW_BYTES && this.queued.length > 1 ? [Buffer.concat(this.queued, length)] : this.queued;
    this.queued = [];
    this.queuedBytes = 0;
    this.socket.cork();
    for (const piece of this.sealer.seal(payload, length)) this.socket.write(piece);
    this.socket.uncork();
    this.onFlushed();
  }
}
