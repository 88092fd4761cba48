/**
 * What a frame's payload holds: a batch of calls (caller to receiver) or of answers (back). Every call
 * made in one turn of the event loop to one peer travels in one frame, so the dozen drive operations
 * of a commit on a peer's drives cost one write, one tag and one read.
 *
 *   call:   u32 id | u8 route length | route (ASCII) | u32 args length | args (msgpack)
 *   answer: u32 id | u8 outcome (0 result, 1 error) | u32 value length | value (msgpack)
 *
 * The lengths come before the msgpack bytes so a receiver can refuse oversized arguments for a method
 * before decoding them (msgpack can expand a lot in memory: an empty map is one byte on the wire).
 */
import { Packr } from 'msgpackr';
import { FrameError, piecesLength } from './rpc-frames.js';

export const rpcPackr = new Packr({ useRecords: false, moreTypes: false, bundleStrings: false });

export interface CallMessage {
  id: number;
  route: string;
  /** msgpack, not yet decoded */
  args: Buffer;
}

export interface AnswerMessage {
  id: number;
  failed: boolean;
  /** msgpack, not yet decoded */
  value: Buffer;
}

const MAX_ROUTE_BYTES = 255;
/**
 * A packed value is a view into msgpackr's shared buffer, which grows to several times the largest
 * value packed; one smaller than this is copied out, so a message queued for a while keeps only
 * its own bytes alive.
 */
const COPY_BELOW_BYTES = 64 * 1024;

/** msgpack's bin 32 marker: a u32 length follows, then the bytes. */
const BIN32 = 0xc6;

/**
 * A value's msgpack bytes, as pieces. Bytes of their own as large as a shard read's answer are sent
 * as they are behind a bin 32 header, not copied into msgpackr's buffer first (what a GET moves
 * through a peer was copied once more than it needed, and every copy a large allocation).
 */
function packed(value: unknown): Buffer[] {
  if (Buffer.isBuffer(value) && value.length >= COPY_BELOW_BYTES) {
    const header = Buffer.alloc(5);
    header[0] = BIN32;
    header.writeUInt32BE(value.length, 1);
    return [header, value];
  }
  const bytes = rpcPackr.pack(value);
  return [bytes.length < COPY_BELOW_BYTES ? Buffer.from(bytes) : bytes];
}

/** A call's message, as its header and its arguments (see Pieces). */
export function encodeCall(id: number, route: string, args: unknown): Buffer[] {
  const body = packed(args);
  const bodyLength = piecesLength(body);
  const routeBytes = Buffer.from(route, 'latin1');
  if (routeBytes.length > MAX_ROUTE_BYTES) throw new FrameError(`RPC route too long: ${route.slice(0, 40)}`);
  const head = Buffer.alloc(4 + 1 + routeBytes.length + 4);
  head.writeUInt32BE(id, 0);
  head.writeUInt8(routeBytes.length, 4);
  routeBytes.copy(head, 5);
  head.writeUInt32BE(bodyLength, 5 + routeBytes.length);
  return [head, ...body];
}

/** An answer's message, as its header and its value (see Pieces). */
export function encodeAnswer(id: number, failed: boolean, value: unknown): Buffer[] {
  const body = packed(value);
  const head = Buffer.alloc(9);
  head.writeUInt32BE(id, 0);
  head.writeUInt8(failed ? 1 : 0, 4);
  head.writeUInt32BE(piecesLength(body), 5);
  return [head, ...body];
}

/** Reads the calls of one payload; a payload that does not parse is a broken session (FrameError). */
export function parseCalls(payload: Buffer): CallMessage[] {
  const calls: CallMessage[] = [];
  let at = 0;
  while (at < payload.length) {
    need(payload, at, 5);
    const id = payload.readUInt32BE(at);
    const routeLength = payload.readUInt8(at + 4);
    need(payload, at + 5, routeLength + 4);
    const route = payload.toString('latin1', at + 5, at + 5 + routeLength);
    const argsLength = payload.readUInt32BE(at + 5 + routeLength);
    const start = at + 9 + routeLength;
    need(payload, start, argsLength);
    calls.push({ id, route, args: payload.subarray(start, start + argsLength) });
    at = start + argsLength;
  }
  return calls;
}

export function parseAnswers(payload: Buffer): AnswerMessage[] {
  const answers: AnswerMessage[] = [];
  let at = 0;
  while (at < payload.length) {
    need(payload, at, 9);
    const id = payload.readUInt32BE(at);
    const outcome = payload.readUInt8(at + 4);
    if (outcome > 1) throw new FrameError(`unknown answer outcome ${outcome}`);
    const length = payload.readUInt32BE(at + 5);
    need(payload, at + 9, length);
    answers.push({ id, failed: outcome === 1, value: payload.subarray(at + 9, at + 9 + length) });
    at += 9 + length;
  }
  return answers;
}

function need(payload: Buffer, at: number, bytes: number): void {
  if (at + bytes > payload.length) throw new FrameError('RPC message cut short');
}
