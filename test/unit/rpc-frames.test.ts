/** Node RPC frames and the messages they carry, without a network. */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FrameError, FrameOpener, FrameSealer, MAX_FRAME_BYTES } from '../../src/cluster/rpc-frames.js';
import { encodeAnswer, encodeCall, parseAnswers, parseCalls, rpcPackr } from '../../src/cluster/rpc-messages.js';

const KEY = randomBytes(32);
const frame = (pieces: Buffer[]): Buffer => Buffer.concat(pieces);

describe('RPC frames', () => {
  it('carry payloads of any size up to the limit, however the stream is cut', () => {
    const sealer = new FrameSealer(KEY, 'to-receiver');
    const payloads = [Buffer.alloc(0), Buffer.from('a'), randomBytes(70_000), randomBytes(3)];
    const stream = Buffer.concat(payloads.map((p) => frame(sealer.seal([p]))));
    for (const cut of [1, 3, 7, 4096, stream.length]) {
      const opener = new FrameOpener(KEY, 'to-receiver');
      const got: Buffer[] = [];
      for (let at = 0; at < stream.length; at += cut) got.push(...opener.push(stream.subarray(at, at + cut)));
      expect(got.map((p) => p.toString('hex'))).toEqual(payloads.map((p) => p.toString('hex')));
    }
  });

  it('refuse a frame altered, replayed, dropped, reflected or sealed under another key', () => {
    const sealer = new FrameSealer(KEY, 'to-receiver');
    const [first, second] = [frame(sealer.seal([Buffer.from('one')])), frame(sealer.seal([Buffer.from('tw'), Buffer.from('o')]))];
    const open = (...frames: Buffer[]) => {
      const opener = new FrameOpener(KEY, 'to-receiver');
      return () => frames.forEach((f) => opener.push(f));
    };
    expect(open(first, second)).not.toThrow();
    const flipped = Buffer.from(first);
    flipped[5] ^= 1;
    expect(open(flipped)).toThrow(FrameError);
    expect(open(first, first)).toThrow(/authentication/); // replayed: the second carries sequence 1 where 2 is due
    expect(open(second)).toThrow(/authentication/); // the first was dropped
    const reflected = frame(new FrameSealer(KEY, 'to-caller').seal([Buffer.from('one')]));
    expect(open(reflected)).toThrow(/authentication/);
    expect(open(frame(new FrameSealer(randomBytes(32), 'to-receiver').seal([Buffer.from('one')])))).toThrow(/authentication/);
  });

  it('seal a payload given in pieces as the one payload they make (a frame is written as its pieces, never joined)', () => {
    const pieces = [randomBytes(1000), Buffer.alloc(0), randomBytes(17), randomBytes(70_000)];
    const opener = new FrameOpener(KEY, 'to-receiver');
    const [payload] = opener.push(frame(new FrameSealer(KEY, 'to-receiver').seal(pieces)));
    expect(payload.equals(Buffer.concat(pieces))).toBe(true);
  });

  it('refuse a length over the limit before buffering it, and never seal one', () => {
    const header = Buffer.alloc(4);
    header.writeUInt32BE(MAX_FRAME_BYTES['to-receiver'] + 1);
    expect(() => new FrameOpener(KEY, 'to-receiver').push(header)).toThrow(/over the limit/);
    expect(() => new FrameSealer(KEY, 'to-receiver').seal([Buffer.alloc(MAX_FRAME_BYTES['to-receiver'] + 1)])).toThrow(FrameError);
    // answers may be larger (a listing page with inline data), up to their own limit
    expect(() => new FrameOpener(KEY, 'to-caller').push(header)).not.toThrow();
  });
});

describe('RPC messages', () => {
  it('batch calls and answers, each decodable on its own', () => {
    const calls = Buffer.concat([...encodeCall(1, 'ping', null), ...encodeCall(2, 'drive/3/readRecord', ['b', 'k']), ...encodeCall(0xffffffff, 'lock/acquire', { name: 'x' })]);
    const parsed = parseCalls(calls);
    expect(parsed.map((c) => [c.id, c.route, rpcPackr.unpack(c.args)])).toEqual([
      [1, 'ping', null],
      [2, 'drive/3/readRecord', ['b', 'k']],
      [0xffffffff, 'lock/acquire', { name: 'x' }],
    ]);
    const data = randomBytes(1000);
    const answers = parseAnswers(Buffer.concat([...encodeAnswer(2, false, { data }), ...encodeAnswer(1, true, { kind: 'offline', message: 'm' })]));
    expect(answers.map((a) => [a.id, a.failed, rpcPackr.unpack(a.value)])).toEqual([
      [2, false, { data }],
      [1, true, { kind: 'offline', message: 'm' }],
    ]);
  });

  it("keep a small message's own bytes, not a view of the packer's shared buffer (which a large value grows to MiBs)", () => {
    encodeAnswer(1, false, { data: randomBytes(8 * 1024 * 1024) });
    for (const [, body] of [encodeCall(2, 'ping', null), encodeAnswer(3, false, { ok: true })]) {
      expect(body.buffer.byteLength).toBeLessThanOrEqual(64 * 1024);
    }
  });

  it('send the bytes of a large shard read as they are, behind a msgpack header, and decode them whole', () => {
    const data = randomBytes(512 * 1024 + 8);
    const pieces = encodeAnswer(7, false, data);
    expect(pieces.some((piece) => piece === data)).toBe(true);
    const [answer] = parseAnswers(Buffer.concat(pieces));
    expect(answer.id).toBe(7);
    expect(Buffer.from(rpcPackr.unpack(answer.value) as Buffer).equals(data)).toBe(true);
    const [call] = parseCalls(Buffer.concat(encodeCall(8, 'drive/0/shardRead', data)));
    expect(Buffer.from(rpcPackr.unpack(call.args) as Buffer).equals(data)).toBe(true);
  });

  it('refuse a batch cut short anywhere, or an unknown outcome', () => {
    const calls = Buffer.concat([...encodeCall(1, 'ping', null), ...encodeCall(2, 'drive/3/readRecord', ['b', 'k'])]);
    for (let length = 1; length < calls.length; length++) {
      if (length === Buffer.concat(encodeCall(1, 'ping', null)).length) continue; // a whole first call is a valid batch
      expect(() => parseCalls(calls.subarray(0, length)), `cut at ${length}`).toThrow(FrameError);
    }
    const answer = Buffer.concat(encodeAnswer(1, false, 1));
    answer[4] = 7;
    expect(() => parseAnswers(answer)).toThrow(/outcome/);
  });
});
